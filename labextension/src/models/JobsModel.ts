/**
 * The jobs list: polled fast while a job is live, slowly otherwise; says which jobs just finished.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IDescribeJob, IListJobsResponse, isLive, JobsAPI, JobStatus } from '../api';
import { PollingModel } from './PollingModel';

/** Poll intervals (ms): fast while something runs, slow otherwise. */
export const ACTIVE_INTERVAL = 2000;
export const IDLE_INTERVAL = 10000;
/** Newest jobs the list shows; older ones are reached through the filters. */
export const PAGE_SIZE = 200;

export interface IJobsFilter {
  status: JobStatus | '';
  name: string;
}

export class JobsModel extends PollingModel<IListJobsResponse> {
  constructor() {
    super({ name: 'JobsModel', interval: ACTIVE_INTERVAL });
  }

  /** Emitted with the jobs that became terminal since the last answer. */
  get finished(): ISignal<this, IDescribeJob[]> {
    return this._finished;
  }

  get jobs(): IDescribeJob[] {
    return this.data?.items ?? [];
  }

  /** True when the server has more (older) jobs than the list shows. */
  get truncated(): boolean {
    return !!this.data?.next_token;
  }

  get filter(): IJobsFilter {
    return this._filter;
  }

  /** Change the filter (the fields given) and fetch the list it selects. */
  setFilter(patch: Partial<IJobsFilter>): void {
    this._filter = { ...this._filter, ...patch };
    this.emitChanged();
    void this.refresh();
  }

  /** The job the panel highlights (e.g. the one just submitted). */
  get selectedId(): string | null {
    return this._selectedId;
  }

  set selectedId(value: string | null) {
    this._selectedId = value;
    this.emitChanged();
  }

  dispose(): void {
    Signal.clearData(this);
    super.dispose();
  }

  protected fetch(): Promise<IListJobsResponse> {
    return JobsAPI.list({
      status: this._filter.status || undefined,
      name: this._filter.name.trim() || undefined,
      max_items: PAGE_SIZE
    });
  }

  protected fetched(data: IListJobsResponse, previous: IListJobsResponse | null): void {
    const before = new Map((previous?.items ?? []).map(job => [job.job_id, job.status]));
    const done = data.items.filter(job => {
      const status = before.get(job.job_id);
      return status !== undefined && isLive(status) && !isLive(job.status);
    });
    this.interval = data.items.some(job => isLive(job.status)) ? ACTIVE_INTERVAL : IDLE_INTERVAL;
    if (done.length) {
      this._finished.emit(done);
    }
  }

  private _filter: IJobsFilter = { status: '', name: '' };
  private _selectedId: string | null = null;
  private _finished = new Signal<this, IDescribeJob[]>(this);
}
