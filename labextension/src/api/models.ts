/**
 * The model registry: registered models, versions, aliases, lineage (mirror of
 * studio_ext/schemas/models.py) and `ModelsAPI`.
 */
import { JobStatus } from './jobs';
import { jsonBody, queryString, requestAPI } from './request';

export interface IListModelsQuery {
  /** Substring of the model name. */
  name?: string;
  /** e.g. 'name ASC', 'last_updated_timestamp DESC' */
  order_by?: string;
  max_items?: number;
  next_token?: string;
}

export interface IModelVersionSummary {
  name: string;
  version: string;
  /** PENDING_REGISTRATION | READY | FAILED_REGISTRATION */
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
  /** alias -> version */
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
  /** Newest first. */
  versions: IModelVersionSummary[];
}

/** From a model version back to what produced it. */
export interface IModelLineage {
  run_id: string | null;
  experiment_id: string | null;
  job_id: string | null;
  job_name: string | null;
  job_status: JobStatus | null;
  /** The job's input path, relative to the server root. */
  job_input: string | null;
  /** Folder of the input snapshot the job ran. */
  job_snapshot: string | null;
  /** The job's parameters (the run's params without a job). */
  parameters: Record<string, unknown>;
  reproduces_job_id: string | null;
  reproduces_run_id: string | null;
}

export interface IDescribeModelVersion extends IModelVersionSummary {
  status_message: string | null;
  job_id: string | null;
  experiment_id: string | null;
  /** {inputs, outputs, params} as MLflow stores them (JSON strings). */
  signature: Record<string, unknown> | null;
  /** The logged input example (JSON), if any. */
  input_example: unknown;
  lineage: IModelLineage;
}

/** POST /studio/api/models: register `artifact_path` of run `run_id` as a new version of `name`. */
export interface ICreateModelVersion {
  name: string;
  run_id: string;
  /** e.g. 'model' (the name given to log_model). */
  artifact_path: string;
  description?: string | null;
  tags?: Record<string, string>;
}

/** PATCH a model or a version (UpdateRegisteredModel, UpdateModelVersion): a null tag is deleted. */
export interface IUpdateTagged {
  description?: string | null;
  tags?: Record<string, string | null>;
}

export interface IReproduceResponse {
  /** The new job. */
  job_id: string;
  reproduces_job_id: string;
  reproduces_run_id: string | null;
}

/** Split `models:/name/3` or `models:/name@alias` into its parts (null for other URIs). */
export function parseModelUri(
  uri: string
): { name: string; version?: string; alias?: string } | null {
  const match = /^models:\/(.+?)(?:\/(\d+)|@([^/@]+))$/.exec(uri.trim());
  if (!match) {
    return null;
  }
  return { name: match[1], version: match[2], alias: match[3] };
}

export namespace ModelsAPI {
  const enc = encodeURIComponent;

  export function list(query: IListModelsQuery = {}): Promise<IListModelsResponse> {
    return requestAPI<IListModelsResponse>(`models${queryString(query)}`);
  }

  export function get(name: string): Promise<IDescribeRegisteredModel> {
    return requestAPI<IDescribeRegisteredModel>(`models/${enc(name)}`);
  }

  export function update(name: string, body: IUpdateTagged): Promise<void> {
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

  /** Run the job that produced the version again, on the same snapshot and parameters. */
  export function reproduceVersion(name: string, version: string): Promise<IReproduceResponse> {
    return requestAPI<IReproduceResponse>(
      `models/${enc(name)}/versions/${enc(version)}/reproduce`,
      jsonBody('POST', {})
    );
  }
}
