/**
 * JobsStudio: the object behind the IStudio token; wires the jobs models, the sidebar, job views.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification, WidgetTracker } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { errorMessage, Feature, IDescribeJob, IJobOutput, IStudioConfig, JobsAPI } from '../api';
import { jobsIcon } from '../icons';
import { JobsModel } from '../models/JobsModel';
import { SchedulesModel } from '../models/SchedulesModel';
import { CommandIDs, IStudio } from '../tokens';
import { JobDetailWidget } from '../widgets/JobDetailWidget';
import { JobOutputsDrive } from './JobOutputsDrive';
import { JobsSidebar } from '../widgets/JobsSidebar';

export class JobsStudio implements IStudio {
  constructor(
    private _app: JupyterFrontEnd,
    readonly config: IStudioConfig,
    private _trans: TranslationBundle
  ) {
    this.sidebar = new JobsSidebar({
      jobs: this.jobs,
      schedules: this.hasFeature('schedules') ? this.schedules : null,
      trans: _trans,
      icon: jobsIcon,
      onOpenJob: jobId => this.openJob(jobId),
      onStopJob: jobId => void this.stopJob(jobId).catch(error => this._notifyError(error))
    });
    this.jobs.finished.connect((_, jobs) => this._notifyFinished(jobs));
    // Outputs open from STUDIO_HOME, which is usually outside the server root.
    _app.serviceManager.contents.addDrive(new JobOutputsDrive());
  }

  /** The `notifyOnFinish` setting: a toast when a listed job becomes terminal. */
  notifyOnFinish = true;
  readonly jobs = new JobsModel();
  readonly schedules = new SchedulesModel();
  readonly sidebar: JobsSidebar;
  readonly detailTracker = new WidgetTracker<JobDetailWidget>({ namespace: 'studio-job' });

  hasFeature(feature: Feature): boolean {
    return this.config.features.includes(feature);
  }

  showJobs(jobId?: string): void {
    this.sidebar.tab = 'jobs';
    this._app.shell.activateById(this.sidebar.id);
    if (jobId) {
      this.jobs.selectedId = jobId;
    }
    void this.jobs.refresh();
  }

  showSchedules(): void {
    this.sidebar.tab = 'schedules';
    this._app.shell.activateById(this.sidebar.id);
    void this.schedules.refresh();
  }

  openJob(jobId: string): void {
    this.jobs.selectedId = jobId;
    const existing = this.detailTracker.find(w => w.model.jobId === jobId);
    if (existing) {
      this._app.shell.activateById(existing.id);
      void existing.model.refresh();
      return;
    }
    const { commands } = this._app;
    const widget = new JobDetailWidget(jobId, this._trans, jobsIcon, {
      mlflowRunUrl: job => this.mlflowRunUrl(job),
      onOpenRun: commands.hasCommand(CommandIDs.openRun)
        ? job => void commands.execute(CommandIDs.openRun, { runId: job.mlflow_run_id })
        : undefined,
      onStop: job => this.stopJob(job.job_id),
      onRerun: job => this.rerun(job),
      onOpenOutput: (job, output) => this.openOutput(job, output)
    });
    // The detail view polls faster than the list: a status change it sees refreshes the list.
    widget.model.changed.connect(model => {
      const row = this.jobs.jobs.find(job => job.job_id === jobId);
      if (model.job && row && row.status !== model.job.status) {
        void this.jobs.refresh();
      }
    }, this);
    void this.detailTracker.add(widget);
    this._app.shell.add(widget, 'main');
    this._app.shell.activateById(widget.id);
  }

  async stopJob(jobId: string): Promise<void> {
    await JobsAPI.stop(jobId);
    for (const widget of this.detailTracker.filter(w => w.model.jobId === jobId)) {
      widget.model.resume();
      void widget.model.refresh();
    }
    await this.jobs.refresh();
  }

  /** Submit a new job with the same input, parameters and settings; open it. */
  async rerun(job: IDescribeJob): Promise<void> {
    const answer = await JobsAPI.create({
      name: job.name,
      kind: job.kind,
      input: job.input,
      parameters: job.parameters,
      instance_type: job.instance_type,
      instance_count: job.instance_count,
      timeout_seconds: job.timeout_seconds,
      max_retries: job.max_retries,
      environment: job.environment,
      tags: job.tags,
      experiment_name: job.experiment_name
    });
    this.showJobs(answer.job_id);
    this.openJob(answer.job_id);
  }

  /**
   * The MLflow UI page of a job's run: the UI the studio proxies behind Jupyter's auth, else the
   * tracking server's own UI when the tracking URI is http(s); null when there is no UI.
   */
  mlflowRunUrl(job: IDescribeJob): string | null {
    const tracking = this.config.mlflow_tracking_uri ?? '';
    const base = this.config.mlflow_ui_url || (/^https?:\/\//.test(tracking) ? tracking : '');
    if (!job.mlflow_run_id || !base) {
      return null;
    }
    const root = base.replace(/\/+$/, '');
    return job.mlflow_experiment_id
      ? `${root}/#/experiments/${job.mlflow_experiment_id}/runs/${job.mlflow_run_id}`
      : `${root}/#/runs/${job.mlflow_run_id}`;
  }

  /**
   * Open an output in JupyterLab through the read-only job-outputs drive: an executed notebook in
   * a notebook panel, an HTML report in the (sandboxed) HTML viewer, text files in an editor.
   * Other files (images, binaries) download.
   */
  async openOutput(job: IDescribeJob, output: IJobOutput): Promise<void> {
    if (output.kind !== 'file' || /\.(txt|csv|json|md|py|log)$/i.test(output.name)) {
      await this._app.commands.execute('docmanager:open', {
        path: JobOutputsDrive.pathOf(job.job_id, output.name),
        factory: output.kind === 'html' ? 'HTML Viewer' : undefined
      });
      return;
    }
    const link = document.createElement('a');
    link.href = JobsAPI.outputUrl(job.job_id, output.name, true);
    link.download = output.name.split('/').pop() ?? output.name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  private _notifyFinished(jobs: IDescribeJob[]): void {
    if (!this.notifyOnFinish) {
      return;
    }
    for (const job of jobs) {
      const text = this._trans.__('Job "%1" finished: %2', job.name, job.status);
      const options = {
        autoClose: 8000,
        actions: [{ label: this._trans.__('Open'), callback: () => this.openJob(job.job_id) }]
      };
      if (job.status === 'Completed') {
        Notification.success(text, options);
      } else {
        Notification.warning(text + (job.status_reason ? ` (${job.status_reason})` : ''), options);
      }
    }
  }

  private _notifyError(error: unknown): void {
    Notification.error(errorMessage(error), { autoClose: 8000 });
  }
}
