/**
 * Job definitions: the job a cron schedule creates at each tick (mirror of
 * studio_ext/schemas/schedules.py) and `SchedulesAPI`.
 */
import { ICreateJob, IListJobsResponse } from './jobs';
import { jsonBody, queryString, requestAPI } from './request';

/** What a schedule does with the ticks it missed while no agent was running. */
export type MissedRunPolicy = 'skip' | 'run_once';

/** The job a schedule creates at each tick (ICreateJob without the idempotency token). */
export type IJobTemplate = Omit<ICreateJob, 'idempotency_token'>;

export interface ICreateJobDefinition {
  name: string;
  /** Cron expression, 5 fields (minute hour day month weekday). */
  schedule: string;
  timezone?: string;
  job: IJobTemplate;
  paused?: boolean;
  max_concurrent_runs?: number;
  missed_run_policy?: MissedRunPolicy;
}

/** PATCH: only the fields given change. */
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

export interface IListJobDefinitionsQuery {
  name?: string;
  paused?: boolean;
  max_items?: number;
  next_token?: string;
  /** created_at | name | next_run_at, '-' for descending. */
  sort_by?: string;
}

export interface IListJobDefinitionsResponse {
  items: IDescribeJobDefinition[];
  next_token: string | null;
}

export namespace SchedulesAPI {
  const enc = encodeURIComponent;

  export function list(query: IListJobDefinitionsQuery = {}): Promise<IListJobDefinitionsResponse> {
    return requestAPI<IListJobDefinitionsResponse>(`job-definitions${queryString(query)}`);
  }

  export function create(body: ICreateJobDefinition): Promise<ICreateJobDefinitionResponse> {
    return requestAPI<ICreateJobDefinitionResponse>('job-definitions', jsonBody('POST', body));
  }

  export function update(id: string, body: IUpdateJobDefinition): Promise<void> {
    return requestAPI<void>(`job-definitions/${enc(id)}`, jsonBody('PATCH', body));
  }

  export function remove(id: string): Promise<void> {
    return requestAPI<void>(`job-definitions/${enc(id)}`, { method: 'DELETE' });
  }

  /** The jobs a schedule created, newest first. */
  export function runs(id: string): Promise<IListJobsResponse> {
    return requestAPI<IListJobsResponse>(`job-definitions/${enc(id)}/jobs`);
  }
}
