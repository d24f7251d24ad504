/**
 * PollingModel: the one base of every model a view polls (a Lumino Poll with backoff and standby).
 */
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { errorMessage } from '../api';

/** Longest wait between attempts after repeated failures (ms). */
export const MAX_BACKOFF = 60000;

export interface IPollingOptions {
  /** Names the Lumino poll (shown when debugging). */
  name: string;
  /** Milliseconds between fetches while a view shows the model; Poll.NEVER fetches on demand only. */
  interval: number;
  /** Start at construction; otherwise at the first setVisible(true) or refresh(). */
  auto?: boolean;
  /** Whether a view shows the model, asked before every tick; default: the last setVisible(). */
  isVisible?: () => boolean;
}

/**
 * The state of one resource, fetched again and again while a view shows it.
 *
 * Contract:
 * - `fetch()` (the subclass) reads the server; its answer becomes `data`, its failure `error`
 *   (the last good `data` stays). Every answer, and the start of the first fetch, emits `changed`.
 * - A failed fetch backs off (the interval grows up to MAX_BACKOFF) until a fetch succeeds again.
 * - The poll stands by while no view shows the model (setVisible(false), or `isVisible()` false)
 *   and while the browser tab is hidden. The first fetch and every refresh() happen regardless.
 * - `stop()` ends polling (a finished resource); `resume()` starts again; `dispose()` ends it for
 *   good, and an answer that arrives after it is dropped.
 */
export abstract class PollingModel<T> implements IDisposable {
  constructor(options: IPollingOptions) {
    this._isVisible = options.isVisible ?? (() => this._visible);
    this._poll = new Poll({
      auto: false,
      factory: () => this._tick(),
      frequency: { interval: options.interval, backoff: true, max: MAX_BACKOFF },
      name: `studio_ext:${options.name}`,
      standby: () => this._standby()
    });
    if (options.auto) {
      void this._start();
    }
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The last good answer (null before the first one). */
  get data(): T | null {
    return this._data;
  }

  /** Why the last fetch failed (null after a good one). */
  get error(): string | null {
    return this._error;
  }

  /** True once the first fetch answered, good or not. */
  get loaded(): boolean {
    return this._loaded;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Tell the model whether a view shows it: shown, it fetches now and polls; hidden, it stands by. */
  setVisible(visible: boolean): void {
    this._visible = visible;
    if (visible) {
      void this.refresh();
    }
  }

  /** Fetch now (whether or not a view shows the model); resolves once the answer is in. */
  async refresh(): Promise<void> {
    if (this.isDisposed) {
      return;
    }
    this._forced = true;
    if (!this._started) {
      await this._start();
    } else {
      await this._poll.refresh();
    }
    await this._poll.tick;
  }

  /** Stop polling (nothing more will change); refresh() and resume() still work. */
  stop(): void {
    this._stopped = true;
    void this._poll.stop();
  }

  /** Poll again after stop(). */
  resume(): void {
    if (this._stopped && !this.isDisposed) {
      this._stopped = false;
      void this._poll.start();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** Read the resource from the server. */
  protected abstract fetch(): Promise<T>;

  /** Called after each good answer and its `changed` (e.g. to stop once the resource is final). */
  protected fetched(_data: T, _previous: T | null): void {
    // nothing by default
  }

  /** Called after each failed fetch and its `changed` (e.g. to stop once the resource is gone). */
  protected failed(_error: unknown): void {
    // nothing by default
  }

  /** The interval between good fetches (e.g. faster while something runs). */
  protected set interval(value: number) {
    this._poll.frequency = { ...this._poll.frequency, interval: value };
  }

  protected emitChanged(): void {
    this._changed.emit();
  }

  private async _start(): Promise<void> {
    this._started = true;
    this._forced = true;
    await this._poll.start();
  }

  private _standby(): boolean | Poll.Standby {
    if (this._forced) {
      this._forced = false;
      return 'never';
    }
    return this._isVisible() ? 'when-hidden' : true;
  }

  /** One fetch at a time: a refresh during a fetch waits for it (fetch() may read incrementally). */
  private async _tick(): Promise<void> {
    const previous = this._running;
    let release = () => {};
    this._running = new Promise<void>(resolve => (release = resolve));
    try {
      await previous;
      if (!this.isDisposed) {
        await this._fetchOnce();
      }
    } finally {
      release();
    }
  }

  private async _fetchOnce(): Promise<void> {
    if (!this._loaded) {
      this._changed.emit(); // a view can show that the first answer is on its way
    }
    let data: T;
    try {
      data = await this.fetch();
    } catch (error) {
      if (this.isDisposed) {
        return;
      }
      this._error = errorMessage(error);
      this._loaded = true;
      this._changed.emit();
      this.failed(error);
      throw error; // lets the poll back off
    }
    if (this.isDisposed) {
      return;
    }
    const previous = this._data;
    this._data = data;
    this._error = null;
    this._loaded = true;
    this._changed.emit();
    this.fetched(data, previous);
  }

  private _poll: Poll;
  private _isVisible: () => boolean;
  private _visible = false;
  private _started = false;
  private _stopped = false;
  private _forced = false;
  private _running: Promise<void> = Promise.resolve();
  private _data: T | null = null;
  private _error: string | null = null;
  private _loaded = false;
  private _changed = new Signal<this, void>(this);
}

/** A PollingModel over one request function: what a view that owns its poll creates. */
export class RequestModel<T> extends PollingModel<T> {
  constructor(
    private _load: () => Promise<T>,
    options: IPollingOptions
  ) {
    super(options);
  }

  protected fetch(): Promise<T> {
    return this._load();
  }
}
