/**
 * GET /studio/api/config, the version handshake (mirror of studio_ext/schemas/config.py).
 */
import { requestAPI } from './request';

/** What the server may offer; a panel or command whose feature is missing is not shown. */
export type Feature =
  | 'jobs'
  | 'schedules'
  | 'warm-pool'
  | 'notebook-parameters'
  | 'audit-events'
  | 'experiments'
  | 'models'
  | 'lineage'
  | 'mlflow-ui'
  | 'endpoints'
  | 'transform-jobs'
  | 'tuning-jobs'
  | 'algorithms';

export interface IStudioConfig {
  version: string;
  /** Feature names (see Feature); a newer server may report more. */
  features: string[];
  server_root: string | null;
  studio_home: string;
  mlflow_tracking_uri: string;
  /** The MLflow UI proxied behind Jupyter's auth (absolute path on this server), if served. */
  mlflow_ui_url: string | null;
  agent: Record<string, unknown>;
}

export namespace ConfigAPI {
  export function get(): Promise<IStudioConfig> {
    return requestAPI<IStudioConfig>('config');
  }
}
