/**
 * Hyperparameter tuning jobs: many trial jobs over parameter ranges, the best one kept (mirror of
 * studio_ext/schemas/tuning.py) and `TuningAPI`.
 */
import { ICreateJob, JobStatus } from './jobs';
import { jsonBody, queryString, requestAPI } from './request';

export type RangeType = 'Integer' | 'Continuous' | 'Categorical';
/** Auto reads as Linear; Logarithmic searches min..max on a log scale (min > 0). */
export type Scaling = 'Auto' | 'Linear' | 'Logarithmic';
/** Bayesian: Optuna's TPE; Hyperband: TPE proposals, weak trials stopped early. */
export type Strategy = 'Bayesian' | 'Random' | 'Grid' | 'Hyperband';
export type ObjectiveType = 'Maximize' | 'Minimize';
export type Aggregation = 'Last' | 'Best';
/** Auto: Optuna's median pruner stops a trial below the others' median at a step. */
export type EarlyStopping = 'Off' | 'Auto';
export type WarmStartType = 'IdenticalDataAndAlgorithm' | 'TransferLearning';
/** Running: its job is queued or running; Pruned: stopped early; Stopped: with the tuning job. */
export type TrialStatus = 'Running' | 'Completed' | 'Failed' | 'Pruned' | 'Stopped';

export const RANGE_TYPES: readonly RangeType[] = ['Integer', 'Continuous', 'Categorical'];
export const STRATEGIES: readonly Strategy[] = ['Bayesian', 'Random', 'Grid', 'Hyperband'];

export type Category = string | number | boolean;

/** Integer and Continuous ranges take min and max (and a scaling), Categorical takes values. */
export interface IParameterRange {
  type: RangeType;
  min?: number | null;
  max?: number | null;
  scaling?: Scaling;
  values?: Category[] | null;
}

/** What a trial is judged by: a metric of its MLflow run. */
export interface IObjective {
  /** An algorithm job: one of its metrics (e.g. 'validation:roc_auc'); else a metric the run logs. */
  metric: string;
  /** Default: the algorithm's direction; required for a script or notebook job. */
  type?: ObjectiveType | null;
  aggregation?: Aggregation;
}

export interface IWarmStart {
  /** Tuning job ids. */
  parents: string[];
  type?: WarmStartType;
}

/** POST /studio/api/tuning-jobs; omitted fields get the server's defaults. */
export interface ICreateTuningJob {
  name: string;
  objective: IObjective;
  parameter_ranges: Record<string, IParameterRange>;
  strategy?: Strategy;
  /** Default 10; Grid: at most the number of grid points. */
  max_trials?: number | null;
  max_parallel_trials?: number;
  /** Then running trials stop and no new one starts. */
  max_runtime_seconds?: number | null;
  early_stopping?: EarlyStopping;
  warm_start?: IWarmStart | null;
  seed?: number | null;
  /** The job every trial runs, with the trial's values for the ranges. */
  training_job: ICreateJob;
}

export interface ITuningTrial {
  /** 0, 1, ... in the order the trials started. */
  trial_number: number;
  status: TrialStatus;
  status_reason: string | null;
  parameters: Record<string, unknown>;
  /** The objective metric's value (a pruned trial: its last reported value). */
  objective: number | null;
  /** Intermediate values reported (what early stopping reads). */
  steps: number;
  job_id: string | null;
  job_status: JobStatus | null;
  mlflow_run_id: string | null;
  /** An algorithm job's trained model (runs:/<run_id>/<path>). */
  model_uri: string | null;
  created_at: string;
  ended_at: string | null;
}

export interface ITrialCounts {
  completed: number;
  failed: number;
  pruned: number;
  stopped: number;
  running: number;
  total: number;
}

export interface IDescribeTuningJob {
  tuning_job_id: string;
  name: string;
  /** Queued -> InProgress -> Completed | Failed; Stopping -> Stopped. */
  status: JobStatus;
  status_reason: string | null;
  objective: Required<IObjective>;
  parameter_ranges: Record<string, IParameterRange>;
  strategy: Strategy;
  max_trials: number;
  max_parallel_trials: number;
  max_runtime_seconds: number | null;
  early_stopping: EarlyStopping;
  warm_start: IWarmStart | null;
  seed: number;
  training_job: ICreateJob;
  counts: ITrialCounts;
  best_trial: ITuningTrial | null;
  /** fANOVA importance of each range, once two trials completed. */
  parameter_importances: Record<string, number>;
  /** The parents' trials replayed into the search. */
  warm_start_trials: number;
  experiment_name: string;
  /** The trials' runs are its children. */
  mlflow_parent_run_id: string | null;
  /** GET .../{id} only, sorted as asked. */
  trials: ITuningTrial[] | null;
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
}

export interface IListTuningJobsResponse {
  items: IDescribeTuningJob[];
  next_token: string | null;
}

/** How GET .../{id} sorts its trials; `objective` puts the best first whatever the direction. */
export type TrialSort =
  | 'trial_number'
  | '-trial_number'
  | 'objective'
  | '-objective'
  | 'status'
  | '-status'
  | 'created_at'
  | '-created_at';

export namespace TuningAPI {
  const enc = encodeURIComponent;

  export function create(body: ICreateTuningJob): Promise<IDescribeTuningJob> {
    return requestAPI<IDescribeTuningJob>('tuning-jobs', jsonBody('POST', body));
  }

  /** The newest first, without their trials. */
  export function list(): Promise<IListTuningJobsResponse> {
    return requestAPI<IListTuningJobsResponse>('tuning-jobs');
  }

  export function get(
    tuningJobId: string,
    sortBy: TrialSort = 'trial_number'
  ): Promise<IDescribeTuningJob> {
    return requestAPI<IDescribeTuningJob>(
      `tuning-jobs/${enc(tuningJobId)}${queryString({ sort_by: sortBy })}`
    );
  }

  /** Start no more trials and stop the running ones; the job ends Stopped. */
  export function stop(tuningJobId: string): Promise<void> {
    return requestAPI<void>(`tuning-jobs/${enc(tuningJobId)}/stop`, { method: 'POST' });
  }
}
