/**
 * GET /studio/api/instance-types, the catalog (mirror of studio_ext/schemas/instance_types.py).
 */
import { requestAPI } from './request';

export interface IInstanceType {
  name: string;
  vcpus: number;
  memory_mib: number;
  gpus: number;
  price_per_hour: number;
  /** Concurrency slots on this machine. */
  max_concurrent: number;
  description: string;
}

export interface IListInstanceTypesResponse {
  items: IInstanceType[];
}

export namespace InstanceTypesAPI {
  export function list(): Promise<IListInstanceTypesResponse> {
    return requestAPI<IListInstanceTypesResponse>('instance-types');
  }
}
