/**
 * One job and its live log, followed until the job is terminal and the log is read to its end.
 */
import { IDescribeJob, JobsAPI, StudioRequestError } from '../api';
import { isLive } from '../api';
import { PollingModel } from './PollingModel';

/** Largest log slice the detail view keeps in memory (characters); older text is cut. */
const MAX_LOG_CHARS = 2_000_000;
/** Log slices read per tick at most, so a long log catches up quickly without blocking. */
const MAX_SLICES_PER_TICK = 20;

/** GET jobs/{id} and GET logs?offset=N, incrementally; stops when nothing more can change. */
export class JobDetailModel extends PollingModel<IDescribeJob> {
  constructor(readonly jobId: string) {
    super({ name: `JobDetailModel:${jobId}`, interval: 1500, auto: true });
  }

  get job(): IDescribeJob | null {
    return this.data;
  }

  get log(): string {
    return this._log;
  }

  get logComplete(): boolean {
    return this._logComplete;
  }

  protected async fetch(): Promise<IDescribeJob> {
    const job = await JobsAPI.get(this.jobId);
    // Read the log until no new text arrives, so a long log catches up in one tick.
    for (let i = 0; i < MAX_SLICES_PER_TICK; i++) {
      const slice = await JobsAPI.logs(this.jobId, this._offset);
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
    return job;
  }

  protected fetched(job: IDescribeJob): void {
    if (!isLive(job.status) && this._logComplete) {
      this.stop();
    }
  }

  protected failed(error: unknown): void {
    if (error instanceof StudioRequestError && error.status === 404) {
      this.stop(); // the job was deleted: nothing more to follow
    }
  }

  private _log = '';
  private _offset = 0;
  private _logComplete = false;
}
