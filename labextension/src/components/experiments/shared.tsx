/**
 * What the experiment and model views share: navigation callbacks, a request hook, small cells.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { StudioRequestError } from '../../handler';
import { IDescribeJob } from '../../handler';

/** Where a view can send the user; implemented by MlflowStudio (src/mlflowStudio.ts). */
export interface IMlflowNav {
  trans: TranslationBundle;
  openExperiment(experimentId: string, name?: string): void;
  openRun(runId: string): void;
  openCompare(runIds: string[], experimentId?: string): void;
  openModel(name: string, version?: string): void;
  /** The job detail view (the Jobs panel's own command). */
  openJob(jobId: string): void;
  /** Reveal the Jobs panel with this job selected. */
  showJobs(jobId: string): void;
  /** Open (or download) the executed notebook of a job. */
  openJobNotebook(job: IDescribeJob): void;
  /** Something in the registry changed: refresh the Models panel. */
  modelsChanged(): void;
  /** Open the Endpoints panel's create form prefilled with this version ("Deploy"). */
  deployVersion?(name: string, version: string): void;
}

export function errorText(error: unknown): string {
  return error instanceof StudioRequestError
    ? error.message
    : String((error as Error)?.message ?? error);
}

export interface IRequestState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Run `load` when `deps` change (or on reload()); keep the last answer while reloading. */
export function useRequest<T>(
  load: () => Promise<T>,
  deps: React.DependencyList
): IRequestState<T> {
  const [data, setData] = React.useState<T | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [loading, setLoading] = React.useState(true);
  const [tick, setTick] = React.useState(0);
  React.useEffect(() => {
    let cancelled = false;
    setLoading(true);
    load().then(
      value => {
        if (!cancelled) {
          setData(value);
          setError(null);
          setLoading(false);
        }
      },
      reason => {
        if (!cancelled) {
          setError(errorText(reason));
          setLoading(false);
        }
      }
    );
    // A slower, older answer must not overwrite a newer one.
    return () => {
      cancelled = true;
    };
  }, [...deps, tick]);
  return { data, error, loading, reload: () => setTick(t => t + 1) };
}

/** A button that looks like a link (navigation inside JupyterLab, not a URL). */
export function LinkButton(props: {
  onClick: () => void;
  children: React.ReactNode;
  title?: string;
  testid?: string;
}): JSX.Element {
  return (
    <button
      className="jp-studio-link"
      title={props.title}
      data-testid={props.testid}
      onClick={event => {
        event.stopPropagation();
        props.onClick();
      }}
    >
      {props.children}
    </button>
  );
}

/** key -> value pairs as a two-column table (or a note when empty). */
export function KeyValueTable(props: {
  values: Record<string, unknown>;
  empty: string;
  testid?: string;
}): JSX.Element {
  const entries = Object.entries(props.values).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) {
    return <div className="jp-studio-empty">{props.empty}</div>;
  }
  return (
    <table className="jp-studio-kv" data-testid={props.testid}>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key} data-key={key}>
            <th>{key}</th>
            <td>{formatValue(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A metric or param value for a table cell. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      return String(value);
    }
    const text = value.toPrecision(6);
    // Trailing zeros of the fraction only ("1.10000" -> "1.1"; never "120000" or "1e+21").
    return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/** MLflow run statuses, coloured like the job statuses they resemble. */
export function RunStatus(props: { status: string }): JSX.Element {
  const jobLike: Record<string, string> = {
    RUNNING: 'InProgress',
    SCHEDULED: 'Queued',
    FINISHED: 'Completed',
    FAILED: 'Failed',
    KILLED: 'Stopped'
  };
  return (
    <span
      className={`jp-studio-status jp-studio-status-${jobLike[props.status] ?? 'Queued'}`}
      data-status={props.status}
    >
      {props.status}
    </span>
  );
}

/** Colours of the compared runs, in order (legible on light and dark themes). */
export const SERIES_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf'
];

export function runLabel(run: { name: string | null; run_id: string }): string {
  return run.name || run.run_id.slice(0, 8);
}
