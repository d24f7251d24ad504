/**
 * What the endpoint views share: navigation, a polling request hook, the status badge.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { EndpointStatus } from '../../endpointsApi';
import { errorText } from '../experiments/shared';

/** Implemented by EndpointsStudio (src/endpointsPlugin.ts). */
export interface IEndpointsNav {
  trans: TranslationBundle;
  openEndpoint(name: string): void;
  openModel(name: string, version?: string): void;
  /** An endpoint was created, updated or deleted: refresh the panel. */
  endpointsChanged(): void;
}

export interface IPollState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Run `load` now and every `intervalMs` while the view is on screen (`ref` is laid out and the
 * page is visible); a hidden panel costs no requests. Keeps the last answer while reloading.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  intervalMs: number,
  ref: React.RefObject<HTMLElement>,
  deps: React.DependencyList
): IPollState<T> {
  const [data, setData] = React.useState<T | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [loading, setLoading] = React.useState(true);
  const [tick, setTick] = React.useState(0);
  React.useEffect(() => {
    let cancelled = false;
    let timer = 0;
    const visible = () => !document.hidden && !!ref.current && ref.current.offsetParent !== null;
    const run = async (force: boolean) => {
      if (force || visible()) {
        try {
          const value = await load();
          if (!cancelled) {
            setData(value);
            setError(null);
          }
        } catch (reason) {
          if (!cancelled) {
            setError(errorText(reason));
          }
        }
        if (!cancelled) {
          setLoading(false);
        }
      }
      if (!cancelled) {
        timer = window.setTimeout(() => void run(false), intervalMs);
      }
    };
    void run(true);
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, loading, reload: () => setTick(t => t + 1) };
}

export function EndpointStatusBadge(props: { status: EndpointStatus }): JSX.Element {
  return (
    <span
      className={`jp-studio-status jp-studio-endpoint-status-${props.status}`}
      data-testid="endpoint-status"
      data-status={props.status}
    >
      {props.status}
    </span>
  );
}
