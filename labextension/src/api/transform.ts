/**
 * Batch transform jobs: score files with a registered model (mirror of
 * studio_ext/schemas/transform.py) and `TransformAPI`.
 */
import { JobStatus } from './jobs';
import { jsonBody, requestAPI } from './request';

/** Score `input` (a CSV, JSON Lines or Parquet file, or a folder of them) into `output`. */
export interface ICreateTransformJob {
  /** models:/<name>/<version> or models:/<name>@<alias> */
  model: string;
  /** Relative to the server root. */
  input: string;
  /** Default: transform-output/<transform_job_id>. */
  output?: string | null;
  /** csv | jsonl | parquet; default: from each file's extension. */
  format?: string | null;
  /** Write the input columns before the prediction. */
  join_input?: boolean;
  /** Its vCPUs are the worker processes. */
  instance_type?: string;
  chunk_mib?: number;
}

export interface IDescribeTransformJob {
  transform_job_id: string;
  status: JobStatus;
  status_reason: string | null;
  model: string;
  model_version: string | null;
  input: string;
  output: string;
  format: string | null;
  join_input: boolean;
  instance_type: string;
  files_total: number;
  files_done: number;
  rows_done: number;
  outputs: string[];
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
}

export interface IListTransformJobsResponse {
  items: IDescribeTransformJob[];
  next_token: string | null;
}

export namespace TransformAPI {
  const enc = encodeURIComponent;

  export function list(): Promise<IListTransformJobsResponse> {
    return requestAPI<IListTransformJobsResponse>('transform-jobs');
  }

  export function get(id: string): Promise<IDescribeTransformJob> {
    return requestAPI<IDescribeTransformJob>(`transform-jobs/${enc(id)}`);
  }

  export function create(body: ICreateTransformJob): Promise<IDescribeTransformJob> {
    return requestAPI<IDescribeTransformJob>('transform-jobs', jsonBody('POST', body));
  }

  export function remove(id: string): Promise<void> {
    return requestAPI<void>(`transform-jobs/${enc(id)}`, { method: 'DELETE' });
  }
}
