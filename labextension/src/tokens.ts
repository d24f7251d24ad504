/**
 * Every dependency-injection token, command id and navigation interface of the studio frontend.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Token } from '@lumino/coreutils';

import type { Feature, IDescribeJob, IJobOutput, IStudioConfig } from './api';
import type { JobsModel } from './models/JobsModel';
import type { SchedulesModel } from './models/SchedulesModel';

/** Command ids, so other extensions and the tests can call them by name. */
export namespace CommandIDs {
  // The Jobs panel and "Run as job".
  export const runAsJob = 'studio:run-as-job';
  export const openJobs = 'studio:open-jobs';
  export const openSchedules = 'studio:open-schedules';
  export const openJob = 'studio:open-job';
  export const refreshJobs = 'studio:refresh-jobs';
  // Experiments, runs and the model registry.
  export const openExperiments = 'studio:open-experiments';
  export const openModels = 'studio:open-models';
  export const openExperiment = 'studio:open-experiment';
  export const openRun = 'studio:open-run';
  export const compareRuns = 'studio:compare-runs';
  export const openModel = 'studio:open-model';
  export const openMlflowUI = 'studio:open-mlflow-ui';
  /** Reopen an experiment/run/compare/model view by its key (used by the layout restorer). */
  export const openMlflowView = 'studio:open-mlflow-view';
  // Endpoints.
  export const openEndpoints = 'studio:open-endpoints';
  export const openEndpoint = 'studio:open-endpoint';
  /** Show the create form prefilled with `{model, version}`. */
  export const deployModel = 'studio:deploy-model';
  // Tuning jobs.
  export const openTuning = 'studio:open-tuning';
  export const openTuningJob = 'studio:open-tuning-job';
}

/** What the main plugin offers to the other studio plugins. */
export interface IStudio {
  /** The server's answer to the version handshake. */
  readonly config: IStudioConfig;
  /** The server offers this feature (its panels and commands are shown). */
  hasFeature(feature: Feature): boolean;
  readonly jobs: JobsModel;
  readonly schedules: SchedulesModel;
  /** Reveal the Jobs panel, optionally highlighting one job. */
  showJobs(jobId?: string): void;
  /** Reveal the Schedules view. */
  showSchedules(): void;
  /** Open the detail view of one job in the main area. */
  openJob(jobId: string): void;
  /** Open an output of a job in JupyterLab, or let the browser fetch it. */
  openOutput(job: IDescribeJob, output: IJobOutput): Promise<void>;
  /** The MLflow UI page of a job's run (null when there is no UI or no run). */
  mlflowRunUrl(job: IDescribeJob): string | null;
}

export const IStudio = new Token<IStudio>(
  'studio_ext:IStudio',
  'The studio frontend: jobs and schedules models and the panels showing them.'
);

/** Where an experiment or model view can send the user; implemented by MlflowStudio. */
export interface IMlflowNav {
  trans: TranslationBundle;
  openExperiment(experimentId: string, name?: string): void;
  openRun(runId: string): void;
  openCompare(runIds: string[], experimentId?: string): void;
  openModel(name: string, version?: string): void;
  /** The job detail view (the Jobs panel's own command). */
  openJob(jobId: string): void;
  /** Reveal the Jobs panel with this job selected. */
  showJobs(jobId: string): void;
  /** Open (or download) the executed notebook of a job. */
  openJobNotebook(job: IDescribeJob): void;
  /** Something in the registry changed: refresh the Models panel. */
  modelsChanged(): void;
  /** Open the Endpoints panel's create form prefilled with this version (absent: no endpoints). */
  deployVersion?(name: string, version: string): void;
}

/** Where an endpoint view can send the user; implemented by EndpointsStudio. */
export interface IEndpointsNav {
  trans: TranslationBundle;
  openEndpoint(name: string): void;
  openModel(name: string, version?: string): void;
  /** An endpoint was created, updated or deleted: refresh the panel. */
  endpointsChanged(): void;
}

/** Where a tuning view can send the user; implemented by TuningStudio. */
export interface ITuningNav {
  trans: TranslationBundle;
  openTuningJob(tuningJobId: string, name?: string): void;
  /** The create form in the main area. */
  openCreateForm(): void;
  /** A tuning job was created or stopped: refresh the panel. */
  tuningChanged(): void;
  /** The job detail view of a trial (absent: the Jobs panel is off). */
  readonly openJob?: (jobId: string) => void;
  /** The MLflow UI (or the Experiments panel's run view) of a job's run; false when neither exists. */
  openJobRun(job: IDescribeJob): boolean;
  /** The endpoint's view (absent: the Endpoints panel is off). */
  readonly openEndpoint?: (name: string) => void;
  /** Registering and deploying are offered (the server has models and endpoints). */
  readonly canDeploy: boolean;
}
