/**
 * MlflowStudio: the Experiments and Models panels and their main-area views, tied to the Jobs panel.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { CompareView } from './components/experiments/CompareView';
import { ExperimentsList } from './components/experiments/ExperimentsList';
import { ExperimentView } from './components/experiments/ExperimentView';
import { RunDetail } from './components/experiments/RunDetail';
import { IMlflowNav } from './components/experiments/shared';
import { ModelDetail } from './components/models/ModelDetail';
import { ModelsList } from './components/models/ModelsList';
import { IDescribeJob } from './handler';
import { experimentsIcon, modelsIcon } from './mlflowIcons';
import { Studio } from './studio';
import { CommandIDs } from './tokens';
import { MlflowMainWidget, MlflowSidebar } from './widgets/MlflowWidgets';

/** A DOM-id-safe suffix for any string (model names may hold spaces and slashes). */
function idSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, c => `_${c.charCodeAt(0).toString(16)}`);
}

export class MlflowStudio implements IMlflowNav {
  constructor(
    private _app: JupyterFrontEnd,
    private _studio: Studio,
    readonly trans: TranslationBundle
  ) {
    this.experimentsPanel = new MlflowSidebar({
      id: 'jp-studio-experiments-panel',
      className: 'jp-studio-ExperimentsPanel',
      testid: 'studio-experiments-panel',
      caption: trans.__('Experiments'),
      icon: experimentsIcon,
      render: refreshKey => React.createElement(ExperimentsList, { nav: this, refreshKey })
    });
    this.modelsPanel = new MlflowSidebar({
      id: 'jp-studio-models-panel',
      className: 'jp-studio-ModelsPanel',
      testid: 'studio-models-panel',
      caption: trans.__('Models'),
      icon: modelsIcon,
      render: refreshKey => React.createElement(ModelsList, { nav: this, refreshKey })
    });
  }

  readonly experimentsPanel: MlflowSidebar;
  readonly modelsPanel: MlflowSidebar;
  /** The open experiment/run/compare/model views, restored by key after a page reload. */
  readonly tracker = new WidgetTracker<MlflowMainWidget>({ namespace: 'studio-mlflow' });

  /** Open a view from its key (`experiment:<id>`, `run:<id>`, `compare:<id>,<id>`, `model:<name>`). */
  openKey(key: string): void {
    const at = key.indexOf(':');
    const kind = key.slice(0, at);
    const rest = key.slice(at + 1);
    if (!rest) {
      return;
    }
    switch (kind) {
      case 'experiment':
        this.openExperiment(rest);
        break;
      case 'run':
        this.openRun(rest);
        break;
      case 'compare':
        this.openCompare(rest.split(','));
        break;
      case 'model':
        this.openModel(rest);
        break;
    }
  }

  showExperiments(): void {
    this._app.shell.activateById(this.experimentsPanel.id);
  }

  showModels(): void {
    this._app.shell.activateById(this.modelsPanel.id);
  }

  openExperiment(experimentId: string, name?: string): void {
    this._open(
      `experiment:${experimentId}`,
      {
        id: `jp-studio-experiment-${idSafe(experimentId)}`,
        className: 'jp-studio-ExperimentWidget',
        label: name ?? this.trans.__('Experiment %1', experimentId),
        icon: experimentsIcon
      },
      widget =>
        React.createElement(ExperimentView, {
          nav: this,
          experimentId,
          onName: (value: string) => {
            widget.title.label = value;
          }
        })
    );
  }

  openRun(runId: string): void {
    this._open(
      `run:${runId}`,
      {
        id: `jp-studio-run-${idSafe(runId)}`,
        className: 'jp-studio-RunWidget',
        label: this.trans.__('Run %1', runId.slice(0, 8)),
        icon: experimentsIcon
      },
      () => React.createElement(RunDetail, { nav: this, runId })
    );
  }

  openCompare(runIds: string[]): void {
    const ids = [...runIds];
    const key = `compare:${ids.join(',')}`;
    this._open(
      key,
      {
        id: `jp-studio-compare-${idSafe(ids.map(id => id.slice(0, 8)).join('-'))}`,
        className: 'jp-studio-CompareWidget',
        label: this.trans.__('Compare %1 runs', ids.length),
        icon: experimentsIcon
      },
      () => React.createElement(CompareView, { nav: this, runIds: ids })
    );
  }

  openModel(name: string, version?: string): void {
    this._modelVersion.set(name, version);
    this._open(
      `model:${name}`,
      {
        id: `jp-studio-model-${idSafe(name)}`,
        className: 'jp-studio-ModelWidget',
        label: this.trans.__('Model: %1', name),
        icon: modelsIcon
      },
      () =>
        React.createElement(ModelDetail, {
          nav: this,
          name,
          version: this._modelVersion.get(name)
        })
    );
  }

  openJob(jobId: string): void {
    // The Jobs panel's own command, so its detail view (and its tracker) stays the one place.
    void this._app.commands.execute(CommandIDs.openJob, { jobId });
  }

  showJobs(jobId: string): void {
    this._studio.showJobs(jobId);
  }

  openJobNotebook(job: IDescribeJob): void {
    const output = job.outputs.find(o => o.name === 'output.ipynb') ?? {
      name: 'output.ipynb',
      size: 0,
      kind: 'notebook'
    };
    void this._studio.openOutput(job, output);
  }

  deployVersion(name: string, version: string): void {
    // The Endpoints plugin's command (src/endpointsPlugin.ts); absent if that plugin is disabled.
    if (this._app.commands.hasCommand('studio:deploy-model')) {
      void this._app.commands.execute('studio:deploy-model', { model: name, version });
    }
  }

  modelsChanged(): void {
    this.modelsPanel.refresh();
  }

  /** Reveal the view for `key`, or create it. */
  private _open(
    key: string,
    options: { id: string; className: string; label: string; icon: typeof experimentsIcon },
    render: (widget: MlflowMainWidget) => JSX.Element
  ): void {
    const existing = this._views.get(key);
    if (existing && !existing.isDisposed) {
      existing.refresh();
      this._app.shell.activateById(existing.id);
      return;
    }
    const widget = new MlflowMainWidget({ key, ...options, render });
    this._views.set(key, widget);
    widget.disposed.connect(() => this._views.delete(key));
    void this.tracker.add(widget);
    this._app.shell.add(widget, 'main');
    this._app.shell.activateById(widget.id);
  }

  private _views = new Map<string, MlflowMainWidget>();
  private _modelVersion = new Map<string, string | undefined>();
}
