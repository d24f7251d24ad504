/**
 * One experiment's runs: a sortable, filterable (MLflow search syntax), paged table with chosen
 * param and metric columns and checkboxes to compare runs.
 */
import * as React from 'react';

import { errorMessage, ExperimentsAPI, IRunSummary, ISearchRunsResponse } from '../../api';
import { formatDuration, formatTime, formatValue } from '../../format';
import { IMlflowNav } from '../../tokens';
import { LinkButton, RefreshButton } from '../common/controls';
import { ErrorBox } from '../common/ErrorBox';
import { useRequest } from '../common/hooks';
import { RunStatusBadge } from '../common/StatusBadge';
import { runLabel } from './runs';

/** Rows per request; the server pages with MLflow's token. */
export const RUNS_PAGE_SIZE = 100;
/** Param/metric columns shown before the user chooses. */
const DEFAULT_COLUMNS = 4;

/** Pages after the first, appended by "Load more"; they belong to one answer of the search. */
interface IMorePages {
  after: ISearchRunsResponse;
  items: IRunSummary[];
  nextToken: string | null;
  loading: boolean;
  error: string | null;
}

interface ISort {
  /** MLflow order key, e.g. `attributes.start_time` or metrics.`acc` */
  key: string;
  desc: boolean;
}

/** One page of the search (the first without a token). */
function searchPage(
  experimentId: string,
  filter: string,
  orderBy: string | undefined,
  nextToken?: string
): Promise<ISearchRunsResponse> {
  return ExperimentsAPI.searchRuns(experimentId, {
    filter: filter || undefined,
    order_by: orderBy,
    max_items: RUNS_PAGE_SIZE,
    next_token: nextToken
  });
}

/** An MLflow order/filter identifier: backquoted unless it is a plain word. */
function quoteKey(kind: 'params' | 'metrics', key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${kind}.${key}` : `${kind}.\`${key}\``;
}

function keysOf(runs: IRunSummary[], field: 'params' | 'metrics'): string[] {
  const keys = new Set<string>();
  for (const run of runs) {
    Object.keys(run[field]).forEach(key => keys.add(key));
  }
  return [...keys].sort();
}

function ColumnChooser(props: {
  title: string;
  all: string[];
  chosen: string[];
  kind: string;
  onChange: (chosen: string[]) => void;
}): JSX.Element {
  return (
    <fieldset className="jp-studio-columns" data-testid={`runs-columns-${props.kind}`}>
      <legend>{props.title}</legend>
      {props.all.length === 0 ? <span className="jp-studio-muted">—</span> : null}
      {props.all.map(key => (
        <label key={key}>
          <input
            type="checkbox"
            data-key={key}
            checked={props.chosen.includes(key)}
            onChange={event =>
              props.onChange(
                event.target.checked
                  ? [...props.chosen, key]
                  : props.chosen.filter(other => other !== key)
              )
            }
          />
          {key}
        </label>
      ))}
    </fieldset>
  );
}

export function RunsTable(props: { nav: IMlflowNav; experimentId: string }): JSX.Element {
  const { nav, experimentId } = props;
  const trans = nav.trans;
  const [filterText, setFilterText] = React.useState('');
  const [filter, setFilter] = React.useState('');
  const [sort, setSort] = React.useState<ISort | null>(null);
  const [selected, setSelected] = React.useState<string[]>([]);
  const [paramCols, setParamCols] = React.useState<string[] | null>(null);
  const [metricCols, setMetricCols] = React.useState<string[] | null>(null);
  const [showColumns, setShowColumns] = React.useState(false);
  const [more, setMore] = React.useState<IMorePages | null>(null);

  const orderBy = sort ? `${sort.key} ${sort.desc ? 'DESC' : 'ASC'}` : undefined;
  const first = useRequest(
    () => searchPage(experimentId, filter, orderBy),
    [experimentId, filter, orderBy]
  );
  // A failed search (e.g. the server's 400 for a bad filter: "filter: ...") empties the table.
  const page = first.error ? null : first.data;
  const extra = more && more.after === page ? more : null;
  const runs = React.useMemo(
    () => (page ? [...page.items, ...(extra?.items ?? [])] : []),
    [page, extra]
  );
  const nextToken = extra ? extra.nextToken : (page?.next_token ?? null);
  const loading = first.loading || !!extra?.loading;
  const error = first.error ?? extra?.error ?? null;

  /** Append the next page; an answer for an older search is dropped. */
  const loadMore = async () => {
    if (!page || !nextToken) {
      return;
    }
    const after = page;
    setMore({ after, items: extra?.items ?? [], nextToken, loading: true, error: null });
    const update = (change: (pages: IMorePages) => IMorePages) =>
      setMore(pages => (pages && pages.after === after ? change(pages) : pages));
    try {
      const next = await searchPage(experimentId, filter, orderBy, nextToken);
      update(pages => ({
        ...pages,
        items: [...pages.items, ...next.items],
        nextToken: next.next_token,
        loading: false
      }));
    } catch (reason) {
      update(pages => ({ ...pages, loading: false, error: errorMessage(reason) }));
    }
  };
  /** Search with the filter as typed (again, when it did not change). */
  const applyFilter = () => {
    const text = filterText.trim();
    if (text === filter) {
      first.reload();
    } else {
      setFilter(text);
    }
  };

  const allParams = React.useMemo(() => keysOf(runs, 'params'), [runs]);
  const allMetrics = React.useMemo(() => keysOf(runs, 'metrics'), [runs]);
  const params = paramCols ?? allParams.slice(0, DEFAULT_COLUMNS);
  const metrics = metricCols ?? allMetrics.slice(0, DEFAULT_COLUMNS);

  const toggle = (runId: string, on: boolean) =>
    setSelected(previous =>
      on ? [...previous.filter(id => id !== runId), runId] : previous.filter(id => id !== runId)
    );
  const allSelected = runs.length > 0 && runs.every(run => selected.includes(run.run_id));

  const header = (label: string, key: string | null, testid?: string) => {
    const active = sort && key && sort.key === key;
    return (
      <th
        className={key ? 'jp-studio-sortable' : undefined}
        data-testid={testid}
        data-sort={active ? (sort.desc ? 'desc' : 'asc') : undefined}
        title={key ? trans.__('Sort by %1', label) : undefined}
        onClick={
          key ? () => setSort(active ? { key, desc: !sort.desc } : { key, desc: true }) : undefined
        }
      >
        {label}
        {active ? (sort.desc ? ' ▼' : ' ▲') : ''}
      </th>
    );
  };

  return (
    <div className="jp-studio-RunsTable" data-testid="runs-table" data-loading={String(loading)}>
      <div className="jp-studio-toolbar">
        <input
          className="jp-mod-styled jp-studio-filter-grow jp-studio-code-input"
          data-testid="runs-filter"
          type="search"
          placeholder={trans.__("Filter: metrics.acc > 0.9 and params.lr = '0.1'")}
          value={filterText}
          onChange={event => setFilterText(event.target.value)}
          onKeyDown={event => {
            if (event.key === 'Enter') {
              applyFilter();
            }
          }}
        />
        <button
          className="jp-Button jp-mod-styled jp-mod-reject"
          data-testid="runs-filter-apply"
          onClick={applyFilter}
        >
          {trans.__('Search')}
        </button>
        <button
          className="jp-Button jp-mod-styled jp-mod-reject"
          data-testid="runs-columns-toggle"
          onClick={() => setShowColumns(!showColumns)}
        >
          {trans.__('Columns')}
        </button>
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="runs-compare"
          disabled={selected.length < 2}
          title={trans.__('Select two or more runs to compare')}
          onClick={() => nav.openCompare(selected, experimentId)}
        >
          {trans.__('Compare (%1)', selected.length)}
        </button>
        <RefreshButton title={trans.__('Refresh')} testid="runs-refresh" onClick={first.reload} />
      </div>
      {showColumns ? (
        <div className="jp-studio-columns-row">
          <ColumnChooser
            title={trans.__('Parameters')}
            kind="params"
            all={allParams}
            chosen={params}
            onChange={setParamCols}
          />
          <ColumnChooser
            title={trans.__('Metrics')}
            kind="metrics"
            all={allMetrics}
            chosen={metrics}
            onChange={setMetricCols}
          />
        </div>
      ) : null}
      <ErrorBox message={error} />
      <div className="jp-studio-table-scroll">
        <table className="jp-studio-table">
          <thead>
            <tr>
              <th className="jp-studio-check">
                <input
                  type="checkbox"
                  title={trans.__('Select all shown runs')}
                  data-testid="runs-select-all"
                  checked={allSelected}
                  onChange={event =>
                    setSelected(event.target.checked ? runs.map(run => run.run_id) : [])
                  }
                />
              </th>
              {header(trans.__('Run'), 'attributes.run_name')}
              {header(trans.__('Status'), 'attributes.status')}
              {header(trans.__('Started'), 'attributes.start_time', 'runs-sort-start')}
              {header(trans.__('Duration'), null)}
              {header(trans.__('Job'), null)}
              {params.map(key => (
                <React.Fragment key={`p-${key}`}>
                  {header(key, quoteKey('params', key), `runs-sort-param-${key}`)}
                </React.Fragment>
              ))}
              {metrics.map(key => (
                <React.Fragment key={`m-${key}`}>
                  {header(key, quoteKey('metrics', key), `runs-sort-metric-${key}`)}
                </React.Fragment>
              ))}
            </tr>
          </thead>
          <tbody>
            {runs.map(run => (
              <tr
                key={run.run_id}
                className={`jp-studio-run-row${selected.includes(run.run_id) ? ' jp-mod-selected' : ''}`}
                data-run-id={run.run_id}
                data-status={run.status}
                data-testid="run-row"
              >
                <td className="jp-studio-check">
                  <input
                    type="checkbox"
                    data-testid="run-select"
                    checked={selected.includes(run.run_id)}
                    onChange={event => toggle(run.run_id, event.target.checked)}
                  />
                </td>
                <td>
                  <LinkButton onClick={() => nav.openRun(run.run_id)} testid="run-open">
                    {runLabel(run)}
                  </LinkButton>
                </td>
                <td>
                  <RunStatusBadge status={run.status} />
                </td>
                <td>{formatTime(run.start_time)}</td>
                <td>{formatDuration(run.duration_seconds)}</td>
                <td>
                  {run.job_id ? (
                    <LinkButton
                      onClick={() => nav.openJob(run.job_id!)}
                      title={trans.__('Open the job that produced this run')}
                      testid="run-job"
                    >
                      {run.job_id.slice(0, 8)}
                    </LinkButton>
                  ) : (
                    <span className="jp-studio-muted">—</span>
                  )}
                </td>
                {params.map(key => (
                  <td key={`p-${key}`} data-param={key}>
                    {run.params[key] ?? ''}
                  </td>
                ))}
                {metrics.map(key => (
                  <td key={`m-${key}`} className="jp-studio-num" data-metric={key}>
                    {formatValue(run.metrics[key])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="jp-studio-table-footer">
        <span data-testid="runs-count">
          {loading
            ? trans.__('Loading…')
            : nextToken
              ? trans.__('%1 runs shown, more on the server', runs.length)
              : trans.__('%1 runs', runs.length)}
        </span>
        {nextToken ? (
          <button
            className="jp-Button jp-mod-styled jp-mod-reject"
            data-testid="runs-more"
            disabled={loading}
            onClick={() => void loadMore()}
          >
            {trans.__('Load %1 more', RUNS_PAGE_SIZE)}
          </button>
        ) : null}
        {!loading && !error && runs.length === 0 ? (
          <span className="jp-studio-muted" data-testid="runs-empty">
            {filter
              ? trans.__('No run matches the filter.')
              : trans.__('No runs in this experiment.')}
          </span>
        ) : null}
      </div>
    </div>
  );
}
