/**
 * The only fetch path to the studio REST API, and the TypeScript mirror of studio_ext/schemas.py.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** Root of every studio route, relative to the Jupyter base URL. */
export const API_NAMESPACE = 'studio/api';

// ------------------------------------------------------------------ schemas.py mirror

export type JobStatus =
  'Queued' | 'Starting' | 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

export const JOB_STATUSES: JobStatus[] = [
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

export type JobKind = 'notebook' | 'script';
export type MissedRunPolicy = 'skip' | 'run_once';

export interface IInstanceType {
  name: string;
  vcpus: number;
  memory_mib: number;
  gpus: number;
  price_per_hour: number;
  max_concurrent: number;
  description: string;
}

export interface IListInstanceTypesResponse {
  items: IInstanceType[];
}

export interface IJobProgress {
  cells_done: number;
  cells_total: number;
  current_cell: number | null;
  current_cell_source: string | null;
  percent: number | null;
}

export interface IJobOutput {
  name: string;
  size: number;
  kind: 'notebook' | 'html' | 'log' | 'file' | string;
}

export interface ICreateJob {
  name?: string | null;
  kind?: JobKind | null;
  input: string;
  parameters?: Record<string, unknown>;
  instance_type?: string;
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

export interface IDescribeJob {
  job_id: string;
  name: string;
  kind: JobKind;
  status: JobStatus;
  status_reason: string | null;
  progress: IJobProgress;
  input: string;
  instance_type: string;
  parameters: Record<string, unknown>;
  environment: Record<string, string>;
  tags: Record<string, string>;
  timeout_seconds: number;
  max_retries: number;
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
}

export interface IListJobsQuery {
  status?: JobStatus;
  name?: string;
  kind?: JobKind;
  instance_type?: string;
  job_definition_id?: string;
  max_items?: number;
  next_token?: string;
  sort_by?: string;
}

export interface IListJobsResponse {
  items: IDescribeJob[];
  next_token: string | null;
}

export interface IJobLogs {
  content: string;
  offset: number;
  next_offset: number;
  complete: boolean;
}

/** The job a schedule creates at each tick (ICreateJob without the idempotency token). */
export type IJobTemplate = Omit<ICreateJob, 'idempotency_token'>;

export interface ICreateJobDefinition {
  name: string;
  schedule: string;
  timezone?: string;
  job: IJobTemplate;
  paused?: boolean;
  max_concurrent_runs?: number;
  missed_run_policy?: MissedRunPolicy;
}

export type IUpdateJobDefinition = Partial<ICreateJobDefinition>;

export interface ICreateJobDefinitionResponse {
  job_definition_id: string;
}

export interface IDescribeJobDefinition {
  job_definition_id: string;
  name: string;
  schedule: string;
  timezone: string;
  job: IJobTemplate;
  paused: boolean;
  max_concurrent_runs: number;
  missed_run_policy: MissedRunPolicy;
  next_run_at: string | null;
  last_run_at: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface IListJobDefinitionsResponse {
  items: IDescribeJobDefinition[];
  next_token: string | null;
}

export interface IStudioConfig {
  version: string;
  features: string[];
  server_root: string | null;
  studio_home: string;
  mlflow_tracking_uri: string;
  /** The MLflow UI proxied behind Jupyter's auth (absolute path on this server), if served. */
  mlflow_ui_url?: string | null;
  agent: Record<string, unknown>;
}

/** GET notebook-parameters: the defaults of the cell tagged `parameters`. */
export interface INotebookParameters {
  parameters: Record<string, unknown>;
}

// ------------------------------------------------------------------ errors

/** A failed studio request: the server's `{error_code, message}` or a network failure. */
export class StudioRequestError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string
  ) {
    super(message);
    this.name = 'StudioRequestError';
  }
}

// ------------------------------------------------------------------ the fetch path

/** A URL of the studio API (for links the browser follows itself, e.g. downloads). */
export function apiUrl(endPoint: string, settings?: ServerConnection.ISettings): string {
  const s = settings ?? ServerConnection.makeSettings();
  return URLExt.join(s.baseUrl, API_NAMESPACE, endPoint);
}

/** `?a=1&b=2` from the defined values of a query object ('' when none). */
export function queryString(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * Call the studio API and parse its JSON answer.
 *
 * @param endPoint path under /studio/api (query string included)
 * @param init fetch options; a body object goes through JSON.stringify by the caller
 * @returns the parsed body, or undefined for an empty answer (204)
 * @throws StudioRequestError with the server's error_code and message
 */
export async function requestAPI<T>(endPoint = '', init: RequestInit = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = apiUrl(endPoint, settings);
  // 'no-store' (the default) makes JupyterLab append a bare `?<timestamp>` cache buster that the
  // studio's strict query parsing rejects; 'no-cache' still revalidates every answer.
  const request: RequestInit = { cache: 'no-cache', ...init };
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, request, settings);
  } catch (error) {
    throw new StudioRequestError(0, 'NetworkError', String((error as Error)?.message ?? error));
  }
  const text = await response.text();
  let data: any = undefined;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const code = (data && typeof data === 'object' && data.error_code) || `HTTP${response.status}`;
    const message =
      (data && typeof data === 'object' && data.message) ||
      (typeof data === 'string' && data.length < 300 ? data : '') ||
      `${response.status} ${response.statusText}`;
    throw new StudioRequestError(response.status, code, message);
  }
  return data as T;
}

function jsonBody(method: string, body: unknown): RequestInit {
  return {
    method,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' }
  };
}

/** Typed wrappers, one per route of the REST contract. */
export namespace StudioAPI {
  const enc = encodeURIComponent;

  export function getConfig(): Promise<IStudioConfig> {
    return requestAPI<IStudioConfig>('config');
  }

  export function listInstanceTypes(): Promise<IListInstanceTypesResponse> {
    return requestAPI<IListInstanceTypesResponse>('instance-types');
  }

  export function getNotebookParameters(path: string): Promise<INotebookParameters> {
    return requestAPI<INotebookParameters>(`notebook-parameters${queryString({ path })}`);
  }

  export function listJobs(query: IListJobsQuery = {}): Promise<IListJobsResponse> {
    return requestAPI<IListJobsResponse>(`jobs${queryString({ ...query })}`);
  }

  export function getJob(jobId: string): Promise<IDescribeJob> {
    return requestAPI<IDescribeJob>(`jobs/${enc(jobId)}`);
  }

  export function createJob(body: ICreateJob): Promise<ICreateJobResponse> {
    return requestAPI<ICreateJobResponse>('jobs', jsonBody('POST', body));
  }

  export function stopJob(jobId: string): Promise<void> {
    return requestAPI<void>(`jobs/${enc(jobId)}/stop`, { method: 'POST' });
  }

  export function deleteJob(jobId: string): Promise<void> {
    return requestAPI<void>(`jobs/${enc(jobId)}`, { method: 'DELETE' });
  }

  export function getLogs(jobId: string, offset: number): Promise<IJobLogs> {
    return requestAPI<IJobLogs>(`jobs/${enc(jobId)}/logs${queryString({ offset })}`);
  }

  /** URL of a job output; `download` asks for an attachment instead of an inline answer. */
  export function outputUrl(jobId: string, name: string, download = false): string {
    const path = `jobs/${enc(jobId)}/outputs/${name.split('/').map(enc).join('/')}`;
    return apiUrl(download ? `${path}${queryString({ download: 'true' })}` : path);
  }

  export function listJobDefinitions(): Promise<IListJobDefinitionsResponse> {
    return requestAPI<IListJobDefinitionsResponse>('job-definitions');
  }

  export function createJobDefinition(
    body: ICreateJobDefinition
  ): Promise<ICreateJobDefinitionResponse> {
    return requestAPI<ICreateJobDefinitionResponse>('job-definitions', jsonBody('POST', body));
  }

  export function updateJobDefinition(id: string, body: IUpdateJobDefinition): Promise<void> {
    return requestAPI<void>(`job-definitions/${enc(id)}`, jsonBody('PATCH', body));
  }

  export function deleteJobDefinition(id: string): Promise<void> {
    return requestAPI<void>(`job-definitions/${enc(id)}`, { method: 'DELETE' });
  }

  export function listJobDefinitionRuns(id: string): Promise<IListJobsResponse> {
    return requestAPI<IListJobsResponse>(`job-definitions/${enc(id)}/jobs`);
  }
}
