/**
 * Experiments, runs and model registry routes: the TypeScript mirror of the issue-3 schemas.
 */
import { apiUrl, IDescribeJob, JobStatus, queryString, requestAPI } from './handler';

export type ViewType = 'active' | 'deleted' | 'all';

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

export interface ISearchRunsQuery {
  filter?: string;
  order_by?: string;
  view?: ViewType;
  max_items?: number;
  next_token?: string;
}

export interface IRunSummary {
  run_id: string;
  name: string | null;
  experiment_id: string;
  status: string;
  start_time: string | null;
  end_time: string | null;
  duration_seconds: number | null;
  job_id: string | null;
  user_id: string | null;
  lifecycle_stage: string;
  params: Record<string, string>;
  metrics: Record<string, number | null>;
  tags: Record<string, string>;
}

export interface ISearchRunsResponse {
  items: IRunSummary[];
  next_token: string | null;
}

export interface IDescribeRun extends IRunSummary {
  artifact_uri: string | null;
  job: IDescribeJob | null;
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

export interface IListArtifactsResponse {
  run_id: string;
  path: string;
  root_uri: string | null;
  items: IArtifactInfo[];
}

export interface ICompareRow {
  key: string;
  values: unknown[];
  differs: boolean;
}

export interface ICompareRuns {
  run_ids: string[];
  runs: IRunSummary[];
  params: ICompareRow[];
  metrics: ICompareRow[];
}

export interface IModelVersionSummary {
  name: string;
  version: string;
  status: string;
  run_id: string | null;
  source: string | null;
  description: string | null;
  aliases: string[];
  tags: Record<string, string>;
  creation_time: string | null;
  last_updated_time: string | null;
}

export interface IRegisteredModelSummary {
  name: string;
  description: string | null;
  tags: Record<string, string>;
  aliases: Record<string, string>;
  latest_version: string | null;
  creation_time: string | null;
  last_updated_time: string | null;
}

export interface IListModelsResponse {
  items: IRegisteredModelSummary[];
  next_token: string | null;
}

export interface IDescribeRegisteredModel extends IRegisteredModelSummary {
  versions: IModelVersionSummary[];
}

export interface IModelLineage {
  run_id: string | null;
  experiment_id: string | null;
  job_id: string | null;
  job_name: string | null;
  job_status: JobStatus | null;
  job_input: string | null;
  job_snapshot: string | null;
  parameters: Record<string, unknown>;
  reproduces_job_id: string | null;
  reproduces_run_id: string | null;
}

export interface IDescribeModelVersion extends IModelVersionSummary {
  status_message: string | null;
  job_id: string | null;
  experiment_id: string | null;
  signature: Record<string, unknown> | null;
  input_example: unknown;
  lineage: IModelLineage;
}

export interface ICreateModelVersion {
  name: string;
  run_id: string;
  artifact_path: string;
  description?: string | null;
  tags?: Record<string, string>;
}

export interface IUpdateTagged {
  description?: string | null;
  tags?: Record<string, string | null>;
}

export interface IReproduceResponse {
  job_id: string;
  reproduces_job_id: string;
  reproduces_run_id: string | null;
}

function jsonBody(method: string, body: unknown): RequestInit {
  return {
    method,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' }
  };
}

/** Typed wrappers of the experiments, runs and models routes. */
export namespace MlflowAPI {
  const enc = encodeURIComponent;

  export function listExperiments(
    query: { name?: string; max_items?: number; next_token?: string } = {}
  ): Promise<IListExperimentsResponse> {
    return requestAPI<IListExperimentsResponse>(`experiments${queryString({ ...query })}`);
  }

  export function getExperiment(id: string): Promise<IDescribeExperiment> {
    return requestAPI<IDescribeExperiment>(`experiments/${enc(id)}`);
  }

  export function searchRuns(id: string, query: ISearchRunsQuery): Promise<ISearchRunsResponse> {
    return requestAPI<ISearchRunsResponse>(
      `experiments/${enc(id)}/runs${queryString({ ...query })}`
    );
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

  export function listModels(
    query: { name?: string; max_items?: number; next_token?: string } = {}
  ): Promise<IListModelsResponse> {
    return requestAPI<IListModelsResponse>(`models${queryString({ ...query })}`);
  }

  export function getModel(name: string): Promise<IDescribeRegisteredModel> {
    return requestAPI<IDescribeRegisteredModel>(`models/${enc(name)}`);
  }

  export function updateModel(name: string, body: IUpdateTagged): Promise<void> {
    return requestAPI<void>(`models/${enc(name)}`, jsonBody('PATCH', body));
  }

  export function getVersion(name: string, version: string): Promise<IDescribeModelVersion> {
    return requestAPI<IDescribeModelVersion>(`models/${enc(name)}/versions/${enc(version)}`);
  }

  export function updateVersion(name: string, version: string, body: IUpdateTagged): Promise<void> {
    return requestAPI<void>(
      `models/${enc(name)}/versions/${enc(version)}`,
      jsonBody('PATCH', body)
    );
  }

  export function register(body: ICreateModelVersion): Promise<IModelVersionSummary> {
    return requestAPI<IModelVersionSummary>('models', jsonBody('POST', body));
  }

  export function setAlias(name: string, alias: string, version: string): Promise<void> {
    return requestAPI<void>(
      `models/${enc(name)}/aliases/${enc(alias)}`,
      jsonBody('PUT', { version })
    );
  }

  export function deleteAlias(name: string, alias: string): Promise<void> {
    return requestAPI<void>(`models/${enc(name)}/aliases/${enc(alias)}`, { method: 'DELETE' });
  }

  export function reproduceVersion(name: string, version: string): Promise<IReproduceResponse> {
    return requestAPI<IReproduceResponse>(
      `models/${enc(name)}/versions/${enc(version)}/reproduce`,
      jsonBody('POST', {})
    );
  }
}
