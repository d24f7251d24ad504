/**
 * What the endpoint views share: navigation, a polling request hook, the status badge.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  EndpointStatus,
  IEndpointReplica,
  IEndpointVariant,
  parseModelUri
} from '../../endpointsApi';
import { errorText, LinkButton } from '../experiments/shared';

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

/**
 * Variants as a table (the current ones, or the previous configuration's). With `replicas`, the
 * count column shows healthy/desired replicas; without, the desired count.
 */
export function VariantsTable(props: {
  nav: IEndpointsNav;
  variants: Required<IEndpointVariant>[];
  replicas?: IEndpointReplica[];
  testid: string;
  rowTestid: string;
}): JSX.Element {
  const { nav, variants, replicas } = props;
  const trans = nav.trans;
  return (
    <table className="jp-studio-table" data-testid={props.testid}>
      <thead>
        <tr>
          <th>{trans.__('Variant')}</th>
          <th>{trans.__('Model')}</th>
          <th>{trans.__('Instance type')}</th>
          <th>{replicas ? trans.__('Replicas (healthy/desired)') : trans.__('Instances')}</th>
          <th>{trans.__('Weight')}</th>
        </tr>
      </thead>
      <tbody>
        {variants.map(v => {
          const parsed = parseModelUri(v.model);
          const healthy = replicas?.filter(
            r => r.variant === v.name && r.status === 'Healthy'
          ).length;
          return (
            <tr
              key={v.name}
              data-testid={props.rowTestid}
              data-variant={v.name}
              data-model={v.model}
            >
              <td>{v.name}</td>
              <td>
                {parsed ? (
                  <LinkButton onClick={() => nav.openModel(parsed.name, parsed.version)}>
                    {v.model}
                  </LinkButton>
                ) : (
                  v.model
                )}
              </td>
              <td>{v.instance_type}</td>
              {replicas ? (
                <td data-testid="endpoint-variant-replicas">
                  {healthy}/{v.instance_count}
                </td>
              ) : (
                <td>{v.instance_count}</td>
              )}
              <td>{v.weight}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
