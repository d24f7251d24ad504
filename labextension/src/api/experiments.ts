/**
 * Experiments and runs, the studio's JSON views of what MLflow owns (mirror of
 * studio_ext/schemas/experiments.py) and `ExperimentsAPI`.
 */
import { IDescribeJob } from './jobs';
import { apiUrl, queryString, requestAPI } from './request';

export type ViewType = 'active' | 'deleted' | 'all';

export interface IListExperimentsQuery {
  /** Substring of the experiment name. */
  name?: string;
  view?: ViewType;
  /** MLflow order, e.g. 'name ASC' or 'last_update_time DESC'; comma-separated. */
  order_by?: string;
  max_items?: number;
  next_token?: string;
}

export interface IDescribeExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string | null;
  lifecycle_stage: string;
  tags: Record<string, string>;
  creation_time: string | null;
  last_update_time: string | null;
}

export interface IListExperimentsResponse {
  items: IDescribeExperiment[];
  next_token: string | null;
}

/** GET experiments/{id}/runs: MLflow's search syntax, paged by MLflow's token. */
export interface ISearchRunsQuery {
  /** e.g. "metrics.acc > 0.9 and params.lr = '0.1'" */
  filter?: string;
  /** e.g. 'metrics.acc DESC'; default start_time DESC. */
  order_by?: string;
  view?: ViewType;
  max_items?: number;
  next_token?: string;
}

/** One row of the runs table. */
export interface IRunSummary {
  run_id: string;
  name: string | null;
  experiment_id: string;
  /** RUNNING | SCHEDULED | FINISHED | FAILED | KILLED */
  status: string;
  start_time: string | null;
  end_time: string | null;
  /** End (or now, if running) - start. */
  duration_seconds: number | null;
  /** The studio job that produced the run (tag studio.job_id). */
  job_id: string | null;
  user_id: string | null;
  lifecycle_stage: string;
  params: Record<string, string>;
  /** Latest value of each metric. */
  metrics: Record<string, number | null>;
  tags: Record<string, string>;
}

export interface ISearchRunsResponse {
  items: IRunSummary[];
  next_token: string | null;
}

export interface IDescribeRun extends IRunSummary {
  artifact_uri: string | null;
  /** The producing job, if it still exists. */
  job: IDescribeJob | null;
  /** API path of the job's executed notebook, e.g. 'jobs/<id>/outputs/output.ipynb'. */
  job_notebook: string | null;
  job_notebook_html: string | null;
  reproduces_job_id: string | null;
  reproduces_run_id: string | null;
}

export interface IMetricPoint {
  step: number;
  value: number | null;
  timestamp: string | null;
}

export interface IMetricHistory {
  run_id: string;
  key: string;
  points: IMetricPoint[];
}

export interface IArtifactInfo {
  path: string;
  is_dir: boolean;
  file_size: number | null;
}

/** A model the run logged with MLflow 3 (kept under models/m-..., not among its artifacts). */
export interface ILoggedModelInfo {
  model_id: string;
  name: string;
  model_uri: string;
  artifact_uri: string | null;
}

export interface IListArtifactsResponse {
  run_id: string;
  path: string;
  root_uri: string | null;
  items: IArtifactInfo[];
  /** At the root only. */
  logged_models: ILoggedModelInfo[];
}

export interface ICompareRow {
  key: string;
  /** One value per run, in run_ids order (null where absent). */
  values: unknown[];
  differs: boolean;
}

export interface ICompareRuns {
  run_ids: string[];
  runs: IRunSummary[];
  params: ICompareRow[];
  metrics: ICompareRow[];
}

export namespace ExperimentsAPI {
  const enc = encodeURIComponent;

  export function list(query: IListExperimentsQuery = {}): Promise<IListExperimentsResponse> {
    return requestAPI<IListExperimentsResponse>(`experiments${queryString(query)}`);
  }

  export function get(id: string): Promise<IDescribeExperiment> {
    return requestAPI<IDescribeExperiment>(`experiments/${enc(id)}`);
  }

  export function searchRuns(id: string, query: ISearchRunsQuery): Promise<ISearchRunsResponse> {
    return requestAPI<ISearchRunsResponse>(`experiments/${enc(id)}/runs${queryString(query)}`);
  }

  export function getRun(runId: string): Promise<IDescribeRun> {
    return requestAPI<IDescribeRun>(`runs/${enc(runId)}`);
  }

  export function metricHistory(runId: string, key: string): Promise<IMetricHistory> {
    return requestAPI<IMetricHistory>(`runs/${enc(runId)}/metrics/${enc(key)}/history`);
  }

  export function listArtifacts(runId: string, path = ''): Promise<IListArtifactsResponse> {
    return requestAPI<IListArtifactsResponse>(
      `runs/${enc(runId)}/artifacts${queryString({ path })}`
    );
  }

  /** URL of one artifact file (an attachment when `download`). */
  export function artifactUrl(runId: string, path: string, download = true): string {
    return apiUrl(
      `runs/${enc(runId)}/artifacts${queryString({ path, download: download ? 'true' : undefined })}`
    );
  }

  export function compareRuns(runIds: string[]): Promise<ICompareRuns> {
    return requestAPI<ICompareRuns>(`runs/compare${queryString({ run_ids: runIds.join(',') })}`);
  }
}
