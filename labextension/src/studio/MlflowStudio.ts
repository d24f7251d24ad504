/**
 * MlflowStudio: the Experiments and Models panels and their main-area views, tied to the Jobs panel.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IDescribeJob } from '../api';
import { CompareView } from '../components/experiments/CompareView';
import { ExperimentsList } from '../components/experiments/ExperimentsList';
import { ExperimentView } from '../components/experiments/ExperimentView';
import { RunDetail } from '../components/experiments/RunDetail';
import { ModelDetail } from '../components/models/ModelDetail';
import { ModelsList } from '../components/models/ModelsList';
import { experimentsIcon, modelsIcon } from '../icons';
import { CommandIDs, IMlflowNav, IStudio } from '../tokens';
import { ListSidebar, MainViews } from '../widgets/shells';

/** A DOM-id-safe suffix for any string (model names may hold spaces and slashes). */
function idSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, c => `_${c.charCodeAt(0).toString(16)}`);
}

export class MlflowStudio implements IMlflowNav {
  constructor(
    private _app: JupyterFrontEnd,
    private _studio: IStudio,
    readonly trans: TranslationBundle
  ) {
    this.views = new MainViews(_app, 'studio-mlflow');
    this.experimentsPanel = _studio.hasFeature('experiments')
      ? new ListSidebar({
          id: 'jp-studio-experiments-panel',
          className: 'jp-studio-ExperimentsPanel',
          testid: 'studio-experiments-panel',
          caption: trans.__('Experiments'),
          icon: experimentsIcon,
          render: refreshKey => React.createElement(ExperimentsList, { nav: this, refreshKey })
        })
      : null;
    this.modelsPanel = _studio.hasFeature('models')
      ? new ListSidebar({
          id: 'jp-studio-models-panel',
          className: 'jp-studio-ModelsPanel',
          testid: 'studio-models-panel',
          caption: trans.__('Models'),
          icon: modelsIcon,
          render: refreshKey => React.createElement(ModelsList, { nav: this, refreshKey })
        })
      : null;
    if (_studio.hasFeature('endpoints')) {
      this.deployVersion = (name, version) => {
        // The Endpoints plugin's command; absent if that plugin is disabled.
        if (_app.commands.hasCommand(CommandIDs.deployModel)) {
          void _app.commands.execute(CommandIDs.deployModel, { model: name, version });
        }
      };
    }
  }

  /** null when the server has no experiments (or models): that panel is not shown. */
  readonly experimentsPanel: ListSidebar | null;
  readonly modelsPanel: ListSidebar | null;
  /** The open experiment/run/compare/model views, restored by key after a page reload. */
  readonly views: MainViews;
  readonly deployVersion?: (name: string, version: string) => void;

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
    if (this.experimentsPanel) {
      this._app.shell.activateById(this.experimentsPanel.id);
    }
  }

  showModels(): void {
    if (this.modelsPanel) {
      this._app.shell.activateById(this.modelsPanel.id);
    }
  }

  openExperiment(experimentId: string, name?: string): void {
    this.views.open({
      key: `experiment:${experimentId}`,
      id: `jp-studio-experiment-${idSafe(experimentId)}`,
      className: 'jp-studio-ExperimentWidget',
      label: name ?? this.trans.__('Experiment %1', experimentId),
      icon: experimentsIcon,
      render: widget =>
        React.createElement(ExperimentView, {
          nav: this,
          experimentId,
          onName: (value: string) => {
            widget.title.label = value;
          }
        })
    });
  }

  openRun(runId: string): void {
    this.views.open({
      key: `run:${runId}`,
      id: `jp-studio-run-${idSafe(runId)}`,
      className: 'jp-studio-RunWidget',
      label: this.trans.__('Run %1', runId.slice(0, 8)),
      icon: experimentsIcon,
      render: () => React.createElement(RunDetail, { nav: this, runId })
    });
  }

  openCompare(runIds: string[]): void {
    const ids = [...runIds];
    this.views.open({
      key: `compare:${ids.join(',')}`,
      id: `jp-studio-compare-${idSafe(ids.map(id => id.slice(0, 8)).join('-'))}`,
      className: 'jp-studio-CompareWidget',
      label: this.trans.__('Compare %1 runs', ids.length),
      icon: experimentsIcon,
      render: () => React.createElement(CompareView, { nav: this, runIds: ids })
    });
  }

  openModel(name: string, version?: string): void {
    this._modelVersion.set(name, version);
    this.views.open({
      key: `model:${name}`,
      id: `jp-studio-model-${idSafe(name)}`,
      className: 'jp-studio-ModelWidget',
      label: this.trans.__('Model: %1', name),
      icon: modelsIcon,
      render: () =>
        React.createElement(ModelDetail, {
          nav: this,
          name,
          version: this._modelVersion.get(name)
        })
    });
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

  modelsChanged(): void {
    this.modelsPanel?.refresh();
  }

  private _modelVersion = new Map<string, string | undefined>();
}
