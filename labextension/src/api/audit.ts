/**
 * GET /studio/api/audit-events: who did what, when (mirror of studio_ext/schemas/audit.py).
 */
import { queryString, requestAPI } from './request';

export type AuditOutcome = 'Success' | 'Failure';

export interface IAuditEvent {
  event_id: number;
  time: string;
  user: string;
  /** e.g. CreateJob, StopJob, UpdateJobDefinition */
  action: string;
  resource_type: string;
  resource_id: string | null;
  outcome: AuditOutcome;
  detail: Record<string, unknown>;
}

export interface IListAuditEventsQuery {
  user?: string;
  action?: string;
  resource_type?: string;
  resource_id?: string;
  max_items?: number;
  next_token?: string;
}

export interface IListAuditEventsResponse {
  items: IAuditEvent[];
  next_token: string | null;
}

export namespace AuditAPI {
  export function list(query: IListAuditEventsQuery = {}): Promise<IListAuditEventsResponse> {
    return requestAPI<IListAuditEventsResponse>(`audit-events${queryString(query)}`);
  }
}
