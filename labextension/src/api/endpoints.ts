/**
 * Real-time endpoints: variants, deployment policies, replicas, metrics, captured traffic (mirror
 * of studio_ext/schemas/endpoints.py) and `EndpointsAPI`, invocations included.
 */
import { jsonBody, queryString, requestAPI } from './request';

/** Creating -> InService <-> Updating; Failed (with a reason); Deleting (then gone). */
export type EndpointStatus = 'Creating' | 'InService' | 'Updating' | 'Failed' | 'Deleting';

/** One replica process: Starting -> Healthy <-> Unhealthy (missed pings); Stopping (draining). */
export type ReplicaStatus = 'Starting' | 'Healthy' | 'Unhealthy' | 'Stopping';

export interface IEndpointVariant {
  name?: string;
  /** models:/<name>/<version> or models:/<name>@<alias> (followed when the alias moves). */
  model: string;
  instance_type?: string;
  instance_count?: number;
  weight?: number;
}

export interface IDataCaptureConfig {
  sampling_percent: number;
  /** What to record: input, output or both. */
  capture?: ('input' | 'output')[];
}

export type DeploymentPolicyType = 'all_at_once' | 'canary' | 'linear';

/**
 * How an update shifts traffic: all_at_once when all new replicas are healthy; canary:
 * canary_percent for baking_seconds, then the rest; linear: step_percent every step_seconds. A
 * new-variant error rate above error_rate_threshold rolls back.
 */
export interface IDeploymentPolicy {
  type: DeploymentPolicyType;
  canary_percent?: number;
  baking_seconds?: number;
  step_percent?: number;
  step_seconds?: number;
  error_rate_threshold?: number;
}

export interface ICreateEndpoint {
  name: string;
  variants: IEndpointVariant[];
  data_capture?: IDataCaptureConfig | null;
}

/** PATCH: new variants and/or data capture; the policy says how traffic moves. */
export interface IUpdateEndpoint {
  variants?: IEndpointVariant[];
  data_capture?: IDataCaptureConfig | null;
  deployment_policy?: IDeploymentPolicy | null;
}

/** What an endpoint serves: its variants and data capture (what a rollback returns to). */
export interface IEndpointConfiguration {
  variants: Required<IEndpointVariant>[];
  data_capture: IDataCaptureConfig | null;
}

/** The last (or current) update: its policy, how far traffic has moved, how it ended. */
export interface IDeploymentProgress {
  type: DeploymentPolicyType;
  /** Who started it ('alias' when an alias moved). */
  by: string | null;
  /** This update is a requested rollback. */
  rollback: boolean;
  /** Traffic share on the new variants (0-1). */
  share: number | null;
  started_at: string | null;
  completed_at: string | null;
  rolled_back_at: string | null;
  rollback_reason: string | null;
}

/**
 * POST endpoints/{name}/rollback. During an update: stop it (the previous replicas take all traffic
 * at once). Otherwise: deploy `previous_configuration` with this policy (default all at once).
 */
export interface IRollbackEndpoint {
  deployment_policy?: IDeploymentPolicy | null;
}

export interface IEndpointReplica {
  replica_id: string;
  variant: string;
  generation: number;
  model_version: string | null;
  status: ReplicaStatus;
  port: number | null;
  pid: number | null;
  restarts: number;
  weight: number;
  last_error: string | null;
  started_at: string | null;
}

export interface IDescribeEndpoint {
  name: string;
  status: EndpointStatus;
  status_reason: string | null;
  variants: Required<IEndpointVariant>[];
  data_capture: IDataCaptureConfig | null;
  deployment_policy: IDeploymentPolicy | null;
  deployment: IDeploymentProgress | null;
  /** What a rollback deploys (null: nothing to roll back to). */
  previous_configuration: IEndpointConfiguration | null;
  generation: number;
  replicas: IEndpointReplica[];
  invocation_url: string;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface IListEndpointsResponse {
  items: IDescribeEndpoint[];
  next_token: string | null;
}

/** Requests by outcome and latency quantiles (null without requests): EndpointCounts. */
export interface IEndpointCounts {
  invocations: number;
  errors_4xx: number;
  errors_5xx: number;
  latency_p50_ms: number | null;
  latency_p90_ms: number | null;
  latency_p99_ms: number | null;
}

export interface IEndpointVariantMetrics extends IEndpointCounts {
  variant: string;
}

/** What happened within one period (counts, not totals). */
export interface IEndpointMetricPoint extends IEndpointCounts {
  /** The period's start. */
  time: string;
}

export interface IEndpointMetricSeries {
  /** null: the whole endpoint (all variants). */
  variant: string | null;
  /** The version the variant's replicas served: during an update a variant has one series per version. */
  model_version: string | null;
  /** Oldest first, one per period, zero-filled. */
  points: IEndpointMetricPoint[];
}

export interface IEndpointMetrics {
  name: string;
  /** The live replicas' totals since they started. */
  variants: IEndpointVariantMetrics[];
  prometheus: string;
  /** The history's resolution. */
  period_seconds: number;
  /** Sampled by the agent: the whole endpoint first, then each variant. */
  series: IEndpointMetricSeries[];
}

export interface IEndpointCaptureRecord {
  time: number;
  input: string | null;
  output: string | null;
  file: string;
}

export interface IEndpointCapture {
  name: string;
  folder: string;
  files: string[];
  records: IEndpointCaptureRecord[];
}

/** What an invocation answered: any status, the body as text (a prediction or an error). */
export interface IInvocationResult {
  status: number;
  body: string;
  variant: string | null;
  elapsedMs: number;
}

export namespace EndpointsAPI {
  const enc = encodeURIComponent;

  export function list(): Promise<IListEndpointsResponse> {
    return requestAPI<IListEndpointsResponse>('endpoints');
  }

  export function get(name: string): Promise<IDescribeEndpoint> {
    return requestAPI<IDescribeEndpoint>(`endpoints/${enc(name)}`);
  }

  export function create(body: ICreateEndpoint): Promise<IDescribeEndpoint> {
    return requestAPI<IDescribeEndpoint>('endpoints', jsonBody('POST', body));
  }

  export function update(name: string, body: IUpdateEndpoint): Promise<void> {
    return requestAPI<void>(`endpoints/${enc(name)}`, jsonBody('PATCH', body));
  }

  export function remove(name: string): Promise<void> {
    return requestAPI<void>(`endpoints/${enc(name)}`, { method: 'DELETE' });
  }

  /** Roll back (or abort the running update); 409 when there is nothing to go back to. */
  export function rollback(name: string, policy?: IDeploymentPolicy | null): Promise<void> {
    const body: IRollbackEndpoint = policy ? { deployment_policy: policy } : {};
    return requestAPI<void>(`endpoints/${enc(name)}/rollback`, jsonBody('POST', body));
  }

  /**
   * The live totals and the agent's history over the last `sinceSeconds` (server default 900),
   * one point per `periodSeconds` (server default: about 180 points).
   */
  export function metrics(
    name: string,
    sinceSeconds?: number,
    periodSeconds?: number
  ): Promise<IEndpointMetrics> {
    return requestAPI<IEndpointMetrics>(
      `endpoints/${enc(name)}/metrics${queryString({
        since_seconds: sinceSeconds,
        period_seconds: periodSeconds
      })}`
    );
  }

  export function capture(name: string, maxItems = 50): Promise<IEndpointCapture> {
    return requestAPI<IEndpointCapture>(
      `endpoints/${enc(name)}/capture${queryString({ max_items: maxItems })}`
    );
  }

  /**
   * POST a body to the router `/studio/endpoints/{name}/invocations` (outside studio/api): every
   * answer comes back as it is, a 400's message included.
   */
  export async function invoke(
    name: string,
    body: string,
    contentType = 'application/json'
  ): Promise<IInvocationResult> {
    const started = performance.now();
    const response = await requestAPI<Response>(
      `${enc(name)}/invocations`,
      { method: 'POST', body, headers: { 'Content-Type': contentType } },
      { namespace: 'studio/endpoints', raw: true }
    );
    const text = await response.text();
    return {
      status: response.status,
      body: text,
      variant: response.headers.get('X-Studio-Variant'),
      elapsedMs: performance.now() - started
    };
  }
}
