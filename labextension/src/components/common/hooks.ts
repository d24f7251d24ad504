/**
 * React hooks the views share: a request (optionally polled) through RequestModel, debounce, actions.
 */
import { Poll } from '@lumino/polling';
import * as React from 'react';

import { errorMessage } from '../../api';
import { RequestModel } from '../../models/PollingModel';

export interface IRequestState<T> {
  /** The last good answer; kept while a new request (other deps, reload) is on its way. */
  data: T | null;
  error: string | null;
  /** True until the current request answered (a poll's later ticks do not count). */
  loading: boolean;
  /** Ask again: a polled request fetches now, a one-shot request starts over. */
  reload: () => void;
}

export interface IRequestOptions {
  /** Ask again whenever this changes (the panel was shown, or something changed elsewhere). */
  refreshKey?: number;
  /** Fetch again and again while the view is shown. */
  poll?: {
    /** Milliseconds between fetches. */
    interval: number;
    /** The view's root: while it is not laid out (a hidden panel), the poll stands by. */
    ref: React.RefObject<HTMLElement | null>;
    /** Names the poll when debugging. */
    name: string;
  };
}

/** Shown on screen: laid out (no hidden ancestor). */
function isShown(node: HTMLElement | null): boolean {
  return !!node && node.offsetParent !== null;
}

/**
 * Run `load` when `deps` (or `refreshKey`) change or on reload(), through a RequestModel; with
 * `poll`, again every `poll.interval` while the view is shown. An answer for older deps never
 * overwrites a newer one.
 */
export function useRequest<T>(
  load: () => Promise<T>,
  deps: React.DependencyList,
  options: IRequestOptions = {}
): IRequestState<T> {
  const { poll, refreshKey } = options;
  const [state, setState] = React.useState<Omit<IRequestState<T>, 'reload'>>({
    data: null,
    error: null,
    loading: true
  });
  const [restarts, setRestarts] = React.useState(0);
  const model = React.useRef<RequestModel<T> | null>(null);
  const interval = poll?.interval ?? Poll.NEVER;
  const ref = poll?.ref;
  React.useEffect(
    () => {
      const current = new RequestModel(load, {
        name: poll?.name ?? 'request',
        interval,
        isVisible: ref ? () => isShown(ref.current) : undefined
      });
      model.current = current;
      current.changed.connect(() =>
        setState(previous => ({
          data: current.loaded && current.error === null ? current.data : previous.data,
          error: current.loaded ? current.error : previous.error,
          loading: !current.loaded
        }))
      );
      void current.refresh();
      return () => current.dispose();
    },
    // The caller's deps stand for `load` (the lint rule checks them at each call site).
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [...deps, refreshKey, restarts, interval]
  );
  const reload = React.useCallback(() => {
    if (interval === Poll.NEVER) {
      setRestarts(n => n + 1);
    } else {
      void model.current?.refresh();
    }
  }, [interval]);
  return { ...state, reload };
}

/**
 * Call `onChange(value)` during the render in which `value` changed (e.g. to reset the state that
 * follows a prop): React's "adjust state while rendering", instead of an effect one frame later.
 */
export function useOnChange<T>(value: T, onChange: (value: T) => void): void {
  const [seen, setSeen] = React.useState(value);
  if (value !== seen) {
    setSeen(value);
    onChange(value);
  }
}

/** `value`, once it stopped changing for `ms` (one request per pause in typing). */
export function useDebounced<T>(value: T, ms = 300): T {
  const [settled, setSettled] = React.useState(value);
  React.useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export interface IActionState {
  /** An action is running (buttons that start one are disabled). */
  busy: boolean;
  /** Why the last action failed (null after a good one). */
  error: string | null;
  /** Run `action`, keep its failure for the view; resolves true when it succeeded. */
  run: (action: () => Promise<unknown>) => Promise<boolean>;
  setError: (error: string | null) => void;
}

/** The busy flag and error of a view's user actions (save, delete, deploy, ...). */
export function useAction(): IActionState {
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const run = React.useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (reason) {
      setError(errorMessage(reason));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, setError };
}
