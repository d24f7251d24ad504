/**
 * GET /studio/api/algorithms, the built-in algorithm catalog (mirror of studio_ext/schemas/algorithms.py).
 */
import { requestAPI } from './request';

/** One property of an algorithm's hyperparameters (a JSON Schema made by pydantic). */
export interface IHyperparameterSchema {
  type?: string;
  anyOf?: IHyperparameterSchema[];
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: IHyperparameterSchema;
  description?: string;
  title?: string;
  'x-tunable'?: boolean;
  'x-tuning-range'?: { min: number; max: number; scaling: string };
}

export interface IChannelSpec {
  name: string;
  required: boolean;
  description: string;
}

export interface IMetricSpec {
  name: string;
  /** Maximize or Minimize. */
  direction: string;
  description: string;
}

export interface IAlgorithmSpec {
  name: string;
  title: string;
  use_case: string;
  problem_types: string[];
  description: string;
  hyperparameters: {
    properties?: Record<string, IHyperparameterSchema>;
    required?: string[];
  };
  channels: IChannelSpec[];
  content_types: string[];
  metrics: IMetricSpec[];
  inference: Record<string, unknown>;
  supports_gpu: boolean;
  supports_distributed: boolean;
}

export interface IListAlgorithmsResponse {
  items: IAlgorithmSpec[];
}

export namespace AlgorithmsAPI {
  export function list(): Promise<IListAlgorithmsResponse> {
    return requestAPI<IListAlgorithmsResponse>('algorithms');
  }
}
