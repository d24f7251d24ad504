/**
 * Jobs: a notebook or script run once (mirror of studio_ext/schemas/jobs.py) and `JobsAPI`.
 */
import { apiUrl, jsonBody, queryString, requestAPI, StudioRequestError } from './request';

/** Queued -> Starting -> InProgress -> Completed | Failed | Stopping -> Stopped. */
export type JobStatus =
  'Queued' | 'Starting' | 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

export const JOB_STATUSES: readonly JobStatus[] = [
  'Queued',
  'Starting',
  'InProgress',
  'Completed',
  'Failed',
  'Stopping',
  'Stopped'
];

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>([
  'Completed',
  'Failed',
  'Stopped'
]);

/** A job that is not terminal yet: its list row and detail view still change. */
export function isLive(status: JobStatus): boolean {
  return !TERMINAL_STATUSES.has(status);
}

export type JobKind = 'notebook' | 'script' | 'algorithm';

/** Per-cell progress of a notebook job (cells_total counts code cells only). */
export interface IJobProgress {
  cells_done: number;
  cells_total: number;
  /** Index of the executing cell in the notebook. */
  current_cell: number | null;
  /** First line of that cell. */
  current_cell_source: string | null;
  percent: number | null;
}

export interface IJobOutput {
  /** File name relative to the job's output folder, e.g. 'output.ipynb'. */
  name: string;
  size: number;
  /** notebook | html | log | file */
  kind: string;
}

/** POST /studio/api/jobs; omitted fields get the server's defaults. */
export interface ICreateJob {
  name?: string | null;
  kind?: JobKind | null;
  /** The notebook or script (not for an algorithm job). */
  input?: string;
  /** An algorithm job: the built-in algorithm, its hyperparameters and its data channels. */
  algorithm?: string;
  hyperparameters?: Record<string, unknown>;
  channels?: Record<string, string | { path: string; label?: string | null }>;
  register_as?: string | null;
  /** Keep checkpoints across attempts (SM_CHECKPOINT_DIR); a retry resumes from the last one. */
  checkpoint?: boolean;
  parameters?: Record<string, unknown>;
  instance_type?: string;
  /** Instances that train together (a script or a torch algorithm that supports_distributed). */
  instance_count?: number;
  timeout_seconds?: number;
  max_retries?: number;
  environment?: Record<string, string>;
  tags?: Record<string, string>;
  experiment_name?: string | null;
  idempotency_token?: string | null;
}

export interface ICreateJobResponse {
  job_id: string;
}

/** An algorithm job's training spec, and what it produced once it ended. */
export interface ITrainingInfo {
  algorithm: string;
  hyperparameters: Record<string, unknown>;
  channels: Record<string, { path: string; content_type?: string | null; label?: string | null }>;
  register_as: string | null;
  result: {
    model_uri: string | null;
    registered_version: string | null;
    metrics: Record<string, number>;
    problem_type: string | null;
  } | null;
}

export interface IDescribeJob {
  job_id: string;
  name: string;
  kind: JobKind;
  status: JobStatus;
  status_reason: string | null;
  progress: IJobProgress;
  input: string;
  instance_type: string;
  /** Instances that train together (1 but for a distributed job). */
  instance_count: number;
  parameters: Record<string, unknown>;
  environment: Record<string, string>;
  tags: Record<string, string>;
  timeout_seconds: number;
  max_retries: number;
  /** 1 for the first run, 2 after the first retry, ... */
  attempt: number;
  experiment_name: string;
  mlflow_experiment_id: string | null;
  mlflow_run_id: string | null;
  job_definition_id: string | null;
  exit_code: number | null;
  outputs: IJobOutput[];
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  duration_seconds: number | null;
  /** Only for an algorithm job. */
  training?: ITrainingInfo | null;
}

export interface IListJobsQuery {
  status?: JobStatus;
  /** Substring of the job name. */
  name?: string;
  kind?: JobKind;
  instance_type?: string;
  job_definition_id?: string;
  max_items?: number;
  next_token?: string;
  /** created_at | name | status | started_at | ended_at, '-' for descending. */
  sort_by?: string;
}

export interface IListJobsResponse {
  items: IDescribeJob[];
  next_token: string | null;
}

/** A slice of the live log: read again from next_offset to follow it. */
export interface IJobLogs {
  content: string;
  offset: number;
  next_offset: number;
  /** True once the job is terminal and the log is read to its end. */
  complete: boolean;
}

/** The parameters cell of a notebook, to prefill the run-as-job form: {name: {default, type}}. */
export interface INotebookParametersResponse {
  path: string;
  parameters: Record<string, unknown>;
}

export namespace JobsAPI {
  const enc = encodeURIComponent;

  export function list(query: IListJobsQuery = {}): Promise<IListJobsResponse> {
    return requestAPI<IListJobsResponse>(`jobs${queryString(query)}`);
  }

  export function get(jobId: string): Promise<IDescribeJob> {
    return requestAPI<IDescribeJob>(`jobs/${enc(jobId)}`);
  }

  export function create(body: ICreateJob): Promise<ICreateJobResponse> {
    return requestAPI<ICreateJobResponse>('jobs', jsonBody('POST', body));
  }

  export function stop(jobId: string): Promise<void> {
    return requestAPI<void>(`jobs/${enc(jobId)}/stop`, { method: 'POST' });
  }

  export function remove(jobId: string): Promise<void> {
    return requestAPI<void>(`jobs/${enc(jobId)}`, { method: 'DELETE' });
  }

  export function logs(jobId: string, offset: number): Promise<IJobLogs> {
    return requestAPI<IJobLogs>(`jobs/${enc(jobId)}/logs${queryString({ offset })}`);
  }

  /** URL of a job output; `download` asks for an attachment instead of an inline answer. */
  /** The outputs route of one file, relative to the API namespace. */
  export function outputPath(jobId: string, name: string): string {
    return `jobs/${enc(jobId)}/outputs/${name.split('/').map(enc).join('/')}`;
  }

  export function outputUrl(jobId: string, name: string, download = false): string {
    const path = outputPath(jobId, name);
    return apiUrl(download ? `${path}${queryString({ download: 'true' })}` : path);
  }

  /** One output file's text (an executed notebook is JSON text). */
  export async function outputText(jobId: string, name: string): Promise<string> {
    const response = await requestAPI<Response>(outputPath(jobId, name), {}, { raw: true });
    if (!response.ok) {
      throw new StudioRequestError(
        response.status,
        `HTTP${response.status}`,
        await response.text()
      );
    }
    return response.text();
  }

  /** The defaults of the notebook cell tagged `parameters` (`path` relative to the server root). */
  export function notebookParameters(path: string): Promise<INotebookParametersResponse> {
    return requestAPI<INotebookParametersResponse>(`notebook-parameters${queryString({ path })}`);
  }
}
