/**
 * Models behind the panels: they poll the REST API, keep the last answer and signal changes.
 */
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  IDescribeJob,
  IDescribeJobDefinition,
  isLive,
  JobStatus,
  StudioAPI,
  StudioRequestError
} from './handler';

/** Poll intervals (ms): fast while something runs, slow otherwise; backoff on errors. */
export const ACTIVE_INTERVAL = 2000;
export const IDLE_INTERVAL = 10000;
const MAX_BACKOFF = 60000;
/** Newest jobs the list shows; older ones are reached through the filters. */
export const PAGE_SIZE = 200;

export interface IJobsFilter {
  status: JobStatus | '';
  name: string;
}

function describeError(error: unknown): string {
  if (error instanceof StudioRequestError) {
    return error.message;
  }
  return String((error as Error)?.message ?? error);
}

/**
 * The jobs list. Polls every ~2 s while a job is live, every 10 s otherwise, and stands by
 * while no view of it is visible (or the browser tab is hidden).
 */
export class JobsModel implements IDisposable {
  constructor() {
    this._poll = new Poll({
      auto: false,
      factory: () => this._fetch(),
      frequency: { interval: ACTIVE_INTERVAL, backoff: true, max: MAX_BACKOFF },
      name: 'studio_ext:JobsModel',
      standby: () => (this._visible ? 'when-hidden' : true)
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted with the ids of jobs that became terminal since the last refresh. */
  get finished(): ISignal<this, IDescribeJob[]> {
    return this._finished;
  }

  get jobs(): IDescribeJob[] {
    return this._jobs;
  }

  get error(): string | null {
    return this._error;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  /** True when the server has more (older) jobs than the list shows. */
  get truncated(): boolean {
    return this._truncated;
  }

  get filter(): IJobsFilter {
    return this._filter;
  }

  set filter(value: IJobsFilter) {
    this._filter = { ...value };
    this._changed.emit();
    void this.refresh();
  }

  /** The job the panel highlights (e.g. the one just submitted). */
  get selectedId(): string | null {
    return this._selectedId;
  }

  set selectedId(value: string | null) {
    this._selectedId = value;
    this._changed.emit();
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Tell the model whether a view shows it; hidden, it stops polling. */
  setVisible(visible: boolean): void {
    this._visible = visible;
    if (visible) {
      void this.start();
      void this.refresh();
    }
  }

  async start(): Promise<void> {
    if (!this._started) {
      this._started = true;
      await this._poll.start();
    }
  }

  /** Fetch now (and restart the poll's clock). */
  async refresh(): Promise<void> {
    await this.start();
    await this._poll.refresh();
    await this._poll.tick;
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _fetch(): Promise<void> {
    const query = {
      status: this._filter.status || undefined,
      name: this._filter.name.trim() || undefined,
      max_items: PAGE_SIZE
    };
    try {
      const response = await StudioAPI.listJobs(query);
      const previous = new Map(this._jobs.map(job => [job.job_id, job.status]));
      this._jobs = response.items;
      this._truncated = !!response.next_token;
      this._error = null;
      this._loaded = true;
      const done = this._jobs.filter(job => {
        const before = previous.get(job.job_id);
        return before !== undefined && isLive(before) && !isLive(job.status);
      });
      const anyLive = this._jobs.some(job => isLive(job.status));
      this._poll.frequency = {
        ...this._poll.frequency,
        interval: anyLive ? ACTIVE_INTERVAL : IDLE_INTERVAL
      };
      this._changed.emit();
      if (done.length) {
        this._finished.emit(done);
      }
    } catch (error) {
      this._error = describeError(error);
      this._loaded = true;
      this._changed.emit();
      throw error; // lets the poll back off
    }
  }

  private _poll: Poll;
  private _started = false;
  private _visible = false;
  private _jobs: IDescribeJob[] = [];
  private _truncated = false;
  private _error: string | null = null;
  private _loaded = false;
  private _selectedId: string | null = null;
  private _filter: IJobsFilter = { status: '', name: '' };
  private _changed = new Signal<this, void>(this);
  private _finished = new Signal<this, IDescribeJob[]>(this);
}

/** Largest log slice the detail view keeps in memory (characters); older text is cut. */
const MAX_LOG_CHARS = 2_000_000;

/**
 * One job and its live log: GET jobs/{id} and GET logs?offset=N, followed incrementally until the
 * job is terminal and the log is read to its end.
 */
export class JobDetailModel implements IDisposable {
  constructor(readonly jobId: string) {
    this._poll = new Poll({
      auto: true,
      factory: () => this._fetch(),
      frequency: { interval: 1500, backoff: true, max: MAX_BACKOFF },
      name: `studio_ext:JobDetailModel:${jobId}`,
      standby: 'when-hidden'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get job(): IDescribeJob | null {
    return this._job;
  }

  get log(): string {
    return this._log;
  }

  get logComplete(): boolean {
    return this._logComplete;
  }

  get error(): string | null {
    return this._error;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  async refresh(): Promise<void> {
    if (this._poll.isDisposed) {
      return;
    }
    await this._poll.refresh();
    await this._poll.tick;
  }

  /** Start following again (after a rerun of the same view, or a stop request). */
  resume(): void {
    if (this._stopped) {
      this._stopped = false;
      void this._poll.start();
    }
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _fetch(): Promise<void> {
    try {
      this._job = await StudioAPI.getJob(this.jobId);
      // Read the log until no new text arrives, so a long log catches up in one tick.
      for (let i = 0; i < 20; i++) {
        const slice = await StudioAPI.getLogs(this.jobId, this._offset);
        if (slice.content) {
          this._log += slice.content;
          if (this._log.length > MAX_LOG_CHARS) {
            this._log = this._log.slice(this._log.length - MAX_LOG_CHARS);
          }
        }
        this._logComplete = slice.complete;
        const advanced = slice.next_offset > this._offset;
        this._offset = slice.next_offset;
        if (!advanced || slice.complete) {
          break;
        }
      }
      this._error = null;
    } catch (error) {
      this._error = describeError(error);
      this._changed.emit();
      if (error instanceof StudioRequestError && error.status === 404) {
        this._stop(); // the job was deleted: nothing more to follow
        return;
      }
      throw error;
    }
    this._changed.emit();
    if (this._job && !isLive(this._job.status) && this._logComplete) {
      this._stop();
    }
  }

  private _stop(): void {
    this._stopped = true;
    void this._poll.stop();
  }

  private _poll: Poll;
  private _stopped = false;
  private _job: IDescribeJob | null = null;
  private _log = '';
  private _offset = 0;
  private _logComplete = false;
  private _error: string | null = null;
  private _changed = new Signal<this, void>(this);
}

/** The job definitions (schedules): polled slowly while the Schedules view is visible. */
export class SchedulesModel implements IDisposable {
  constructor() {
    this._poll = new Poll({
      auto: false,
      factory: () => this._fetch(),
      frequency: { interval: IDLE_INTERVAL, backoff: true, max: MAX_BACKOFF },
      name: 'studio_ext:SchedulesModel',
      standby: () => (this._visible ? 'when-hidden' : true)
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get definitions(): IDescribeJobDefinition[] {
    return this._definitions;
  }

  get error(): string | null {
    return this._error;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  setVisible(visible: boolean): void {
    this._visible = visible;
    if (visible) {
      void this.refresh();
    }
  }

  async refresh(): Promise<void> {
    if (!this._started) {
      this._started = true;
      await this._poll.start();
    }
    await this._poll.refresh();
    await this._poll.tick;
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _fetch(): Promise<void> {
    try {
      const response = await StudioAPI.listJobDefinitions();
      this._definitions = response.items;
      this._error = null;
    } catch (error) {
      this._error = describeError(error);
      this._loaded = true;
      this._changed.emit();
      throw error;
    }
    this._loaded = true;
    this._changed.emit();
  }

  private _poll: Poll;
  private _started = false;
  private _visible = false;
  private _definitions: IDescribeJobDefinition[] = [];
  private _error: string | null = null;
  private _loaded = false;
  private _changed = new Signal<this, void>(this);
}
