/**
 * TuningStudio: the Tuning sidebar (tuning jobs and the create form) and the tuning job views. A
 * trial is a job: its link opens the Jobs panel's view, its run the MLflow UI; the best trial's
 * model deploys through the Models and Endpoints routes.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IDescribeJob } from '../api';
import { CreateTuningForm } from '../components/tuning/CreateTuningForm';
import { TuningDetail } from '../components/tuning/TuningDetail';
import { TuningList } from '../components/tuning/TuningList';
import { tuningIcon } from '../icons';
import { CommandIDs, IStudio, ITuningNav } from '../tokens';
import { ListSidebar, MainViews } from '../widgets/shells';

/** The key of a tuning job's view (restored by the layout restorer). */
const VIEW_PREFIX = 'tuning-job:';
/** The key of the create form's view. */
const CREATE_KEY = 'tuning-new';

export class TuningStudio implements ITuningNav {
  constructor(
    private _app: JupyterFrontEnd,
    private _studio: IStudio,
    readonly trans: TranslationBundle
  ) {
    this.views = new MainViews(_app, 'studio-tuning');
    // Its own tracker, which the layout restorer does not follow: a form starts empty.
    this._formViews = new MainViews(_app, 'studio-tuning-new');
    this.canDeploy = _studio.hasFeature('models') && _studio.hasFeature('endpoints');
    // Its list polls only while it is shown (see useRequest).
    this.sidebar = new ListSidebar({
      id: 'jp-studio-tuning-panel',
      className: 'jp-studio-TuningPanel',
      testid: 'studio-tuning-panel',
      caption: trans.__('Tuning'),
      icon: tuningIcon,
      render: refreshKey => React.createElement(TuningList, { nav: this, refreshKey })
    });
  }

  readonly sidebar: ListSidebar;
  readonly views: MainViews;
  readonly canDeploy: boolean;

  show(): void {
    this._app.shell.activateById(this.sidebar.id);
  }

  openTuningJob(tuningJobId: string, name?: string): void {
    this.views.open({
      key: `${VIEW_PREFIX}${tuningJobId}`,
      id: `jp-studio-tuning-job-${tuningJobId}`,
      className: 'jp-studio-TuningWidget',
      label: this.trans.__('Tuning: %1', name ?? tuningJobId.slice(0, 8)),
      icon: tuningIcon,
      render: widget =>
        React.createElement(TuningDetail, {
          nav: this,
          tuningJobId,
          onName: known => {
            widget.title.label = this.trans.__('Tuning: %1', known);
          }
        })
    });
  }

  openCreateForm(): void {
    this._formViews.open({
      key: CREATE_KEY,
      id: 'jp-studio-tuning-create',
      className: 'jp-studio-TuningWidget',
      label: this.trans.__('New tuning job'),
      icon: tuningIcon,
      render: widget =>
        React.createElement(CreateTuningForm, {
          nav: this,
          onCreated: created => {
            widget.dispose();
            this.tuningChanged();
            this.openTuningJob(created.tuning_job_id, created.name);
          },
          onCancel: () => widget.dispose()
        })
    });
  }

  /** The tuning job a restored view shows. */
  static tuningJobOf(key: string): string {
    return key.slice(VIEW_PREFIX.length);
  }

  tuningChanged(): void {
    this.sidebar.refresh();
  }

  get openJob(): ((jobId: string) => void) | undefined {
    const { commands } = this._app;
    return commands.hasCommand(CommandIDs.openJob)
      ? jobId => void commands.execute(CommandIDs.openJob, { jobId })
      : undefined;
  }

  get openEndpoint(): ((name: string) => void) | undefined {
    const { commands } = this._app;
    return commands.hasCommand(CommandIDs.openEndpoint)
      ? name => void commands.execute(CommandIDs.openEndpoint, { name })
      : undefined;
  }

  /** The MLflow UI in a new tab (as the job view links it), else the Experiments panel's run view. */
  openJobRun(job: IDescribeJob): boolean {
    const url = this._studio.mlflowRunUrl(job);
    if (url) {
      window.open(url, '_blank', 'noopener');
      return true;
    }
    const { commands } = this._app;
    if (job.mlflow_run_id && commands.hasCommand(CommandIDs.openRun)) {
      void commands.execute(CommandIDs.openRun, { runId: job.mlflow_run_id });
      return true;
    }
    return false;
  }

  private _formViews: MainViews;
}
