/**
 * GET /studio/api/algorithms, the built-in algorithm catalog, and a channel's preview as an algorithm
 * reads it (mirror of studio_ext/schemas/algorithms.py).
 */
import { jsonBody, requestAPI } from './request';

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

/** POST /studio/api/algorithms/{name}/channel-preview. */
export interface IPreviewChannelRequest {
  /** A file or a folder, relative to the server root. */
  path: string;
  /** Which channel of the algorithm (default train: only train must hold the label). */
  channel?: string;
  /** The label column; null: the algorithm's rule, as in training. */
  label?: string | null;
  content_type?: string | null;
  /** How many of the first rows (default 5). */
  rows?: number;
}

/** A value of a previewed row: empty values are null, long texts cut. */
export type PreviewCell = string | number | boolean | null;

/** The first rows of a channel as the algorithm's training reads them, and its label column. */
export interface IChannelPreview {
  path: string;
  channel: string;
  content_type: string;
  /** The columns shown: the first ones (and the label's). */
  columns: string[];
  columns_total: number;
  rows: PreviewCell[][];
  rows_read: number;
  /** All the rows where cheap to tell (Parquet, .npz, images); null for CSV and JSON Lines. */
  rows_total: number | null;
  /** The column training takes as the label; null: none. */
  label: string | null;
  files: number;
  /** Images: (channels, height, width). */
  image_shape: number[] | null;
  /** Images: the count of each label. */
  classes: Record<string, number> | null;
}

export namespace AlgorithmsAPI {
  export function list(): Promise<IListAlgorithmsResponse> {
    return requestAPI<IListAlgorithmsResponse>('algorithms');
  }

  /** One algorithm: its hyperparameters' JSON Schema (tunable ones marked), channels, metrics. */
  export function get(name: string): Promise<IAlgorithmSpec> {
    return requestAPI<IAlgorithmSpec>(`algorithms/${encodeURIComponent(name)}`);
  }

  export function previewChannel(
    algorithm: string,
    request: IPreviewChannelRequest
  ): Promise<IChannelPreview> {
    return requestAPI<IChannelPreview>(
      `algorithms/${encodeURIComponent(algorithm)}/channel-preview`,
      jsonBody('POST', request)
    );
  }
}
