/**
 * Compare runs: metric histories as line charts, a parameter-vs-metric scatter, and a side-by-side
 * table that highlights the values that differ.
 */
import { ChartConfiguration } from 'chart.js';
import * as React from 'react';

import { ExperimentsAPI, ICompareRow, ICompareRuns, IMetricHistory, IRunSummary } from '../../api';
import { formatValue } from '../../format';
import { IMlflowNav } from '../../tokens';
import { ChartView } from '../common/Chart';
import { LinkButton, RefreshButton } from '../common/controls';
import { ErrorBox } from '../common/ErrorBox';
import { useRequest } from '../common/hooks';
import { runLabel, SERIES_COLORS } from './runs';

/** Metric charts drawn at most (one history request per run and metric). */
const MAX_METRIC_CHARTS = 12;

interface ICompareData {
  compare: ICompareRuns;
  /** metric key -> one history per run (null where the run lacks the metric) */
  histories: Record<string, (IMetricHistory | null)[]>;
}

async function loadCompare(runIds: string[]): Promise<ICompareData> {
  const compare = await ExperimentsAPI.compareRuns(runIds);
  const keys = compare.metrics.map(row => row.key).slice(0, MAX_METRIC_CHARTS);
  const histories: Record<string, (IMetricHistory | null)[]> = {};
  await Promise.all(
    keys.map(async key => {
      histories[key] = await Promise.all(
        compare.runs.map(run =>
          key in run.metrics ? ExperimentsAPI.metricHistory(run.run_id, key) : Promise.resolve(null)
        )
      );
    })
  );
  return { compare, histories };
}

function color(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length];
}

/** A metric logged once per run (a final score): one bar per run, not a line over one step. */
function barConfig(
  key: string,
  runs: IRunSummary[],
  histories: (IMetricHistory | null)[]
): ChartConfiguration {
  const values = runs.map(
    (_, i) => histories[i]?.points.find(p => p.value !== null)?.value ?? null
  );
  return {
    type: 'bar',
    data: {
      labels: runs.map(run => runLabel(run)),
      datasets: [
        {
          label: key,
          data: values,
          backgroundColor: runs.map((_, i) => color(i)),
          borderWidth: 0
        }
      ]
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: {
        title: { display: true, text: key },
        legend: { display: false }
      },
      scales: {
        x: { type: 'category' },
        y: { type: 'linear', title: { display: true, text: key } }
      }
    }
  };
}

function historyConfig(
  key: string,
  runs: IRunSummary[],
  histories: (IMetricHistory | null)[]
): ChartConfiguration {
  if (
    histories.every(history => (history?.points.filter(p => p.value !== null).length ?? 0) <= 1)
  ) {
    return barConfig(key, runs, histories);
  }
  return {
    type: 'line',
    data: {
      datasets: runs.map((run, i) => ({
        label: runLabel(run),
        data: (histories[i]?.points ?? [])
          .filter(point => point.value !== null)
          .map(point => ({ x: point.step, y: point.value as number })),
        borderColor: color(i),
        backgroundColor: color(i),
        pointRadius: 2,
        borderWidth: 2,
        tension: 0.15
      }))
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      interaction: { mode: 'nearest', intersect: false },
      plugins: {
        title: { display: true, text: key },
        legend: { position: 'bottom', labels: { boxWidth: 12 } }
      },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'step' } },
        y: { type: 'linear', title: { display: true, text: key } }
      }
    }
  };
}

/** A parameter value as the category axis labels it. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function scatterConfig(
  param: string,
  metric: string,
  runs: IRunSummary[],
  paramRow: ICompareRow | undefined,
  metricRow: ICompareRow | undefined
): ChartConfiguration {
  const xs = runs.map((_, i) => paramRow?.values[i]);
  const numeric = xs.every(x => x === null || x === undefined || isFinite(Number(x)));
  const categories = [...new Set(xs.filter(x => x !== null && x !== undefined).map(text))].sort();
  return {
    type: 'scatter',
    data: {
      datasets: runs.map((run, i) => {
        const x = xs[i];
        const y = metricRow?.values[i];
        const present = x !== null && x !== undefined && typeof y === 'number';
        return {
          label: runLabel(run),
          // A category axis places a point by its label: x is that text then, not a number.
          data: present
            ? [{ x: numeric ? Number(x) : text(x), y } as { x: number; y: number }]
            : [],
          borderColor: color(i),
          backgroundColor: color(i),
          pointRadius: 6,
          pointHoverRadius: 8
        };
      })
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: {
        title: { display: true, text: `${metric} vs ${param}` },
        legend: { position: 'bottom', labels: { boxWidth: 12 } }
      },
      scales: {
        x: numeric
          ? { type: 'linear', title: { display: true, text: param }, grace: '5%' }
          : { type: 'category', labels: categories, title: { display: true, text: param } },
        y: { type: 'linear', title: { display: true, text: metric }, grace: '5%' }
      }
    }
  };
}

function SideBySide(props: {
  nav: IMlflowNav;
  runs: IRunSummary[];
  params: ICompareRow[];
  metrics: ICompareRow[];
}): JSX.Element {
  const { nav, runs } = props;
  const trans = nav.trans;
  const [onlyDiff, setOnlyDiff] = React.useState(false);
  const rows = (kind: string, items: ICompareRow[]) =>
    items
      .filter(row => !onlyDiff || row.differs)
      .map(row => (
        <tr
          key={`${kind}-${row.key}`}
          className={row.differs ? 'jp-mod-differs' : undefined}
          data-key={row.key}
          data-kind={kind}
          data-differs={String(row.differs)}
          data-testid="compare-row"
        >
          <th>
            <span className="jp-studio-muted">{kind}</span> {row.key}
          </th>
          {row.values.map((value, i) => (
            <td key={i} className={kind === 'metric' ? 'jp-studio-num' : undefined}>
              {formatValue(value)}
            </td>
          ))}
        </tr>
      ));
  return (
    <>
      <label className="jp-studio-inline">
        <input
          type="checkbox"
          data-testid="compare-only-diff"
          checked={onlyDiff}
          onChange={event => setOnlyDiff(event.target.checked)}
        />
        {trans.__('Only rows that differ')}
      </label>
      <div className="jp-studio-table-scroll">
        <table className="jp-studio-table jp-studio-compare-table" data-testid="compare-table">
          <thead>
            <tr>
              <th />
              {runs.map((run, i) => (
                <th key={run.run_id}>
                  <span className="jp-studio-swatch" style={{ background: color(i) }} />
                  <LinkButton onClick={() => nav.openRun(run.run_id)}>{runLabel(run)}</LinkButton>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows('param', props.params)}
            {rows('metric', props.metrics)}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function CompareView(props: { nav: IMlflowNav; runIds: string[] }): JSX.Element {
  const { nav, runIds } = props;
  const trans = nav.trans;
  const idList = runIds.join(',');
  const state = useRequest(() => loadCompare(idList.split(',')), [idList]);
  const [param, setParam] = React.useState('');
  const [metric, setMetric] = React.useState('');
  const data = state.data;
  const runs = data?.compare.runs ?? [];
  const paramKeys = data?.compare.params.map(row => row.key) ?? [];
  const metricKeys = data?.compare.metrics.map(row => row.key) ?? [];
  // Default scatter axes: the first parameter that differs, the first metric.
  const chosenParam =
    param ||
    data?.compare.params.find(row => row.differs)?.key ||
    data?.compare.params[0]?.key ||
    '';
  const chosenMetric = metric || data?.compare.metrics[0]?.key || '';

  const lineConfigs = React.useMemo(
    () =>
      data
        ? Object.keys(data.histories)
            .sort()
            .map(key => ({
              key,
              config: historyConfig(key, data.compare.runs, data.histories[key])
            }))
        : [],
    [data]
  );
  const scatter = React.useMemo(
    () =>
      data && chosenParam && chosenMetric
        ? scatterConfig(
            chosenParam,
            chosenMetric,
            data.compare.runs,
            data.compare.params.find(row => row.key === chosenParam),
            data.compare.metrics.find(row => row.key === chosenMetric)
          )
        : null,
    [data, chosenParam, chosenMetric]
  );

  return (
    <div className="jp-studio-CompareView jp-studio-page" data-testid="compare-view">
      <div className="jp-studio-detail-header">
        <h2 className="jp-studio-detail-title">{trans.__('Compare %1 runs', runIds.length)}</h2>
        <span className="jp-studio-spacer" />
        <RefreshButton title={trans.__('Refresh')} onClick={state.reload} />
      </div>
      <ErrorBox message={state.error} />
      {state.loading && !data ? (
        <div className="jp-studio-empty">{trans.__('Loading…')}</div>
      ) : null}
      {data ? (
        <>
          <ul className="jp-studio-legend" data-testid="compare-legend">
            {runs.map((run, i) => (
              <li key={run.run_id} data-run-id={run.run_id}>
                <span className="jp-studio-swatch" style={{ background: color(i) }} />
                {runLabel(run)}
              </li>
            ))}
          </ul>
          <section className="jp-studio-section">
            <h3>{trans.__('Metric history')}</h3>
            {lineConfigs.length === 0 ? (
              <div className="jp-studio-empty">{trans.__('These runs logged no metrics.')}</div>
            ) : null}
            <div className="jp-studio-chart-grid">
              {lineConfigs.map(({ key, config }) => (
                <ChartView key={key} config={config} testid="metric-history-chart" label={key} />
              ))}
            </div>
            {metricKeys.length > MAX_METRIC_CHARTS ? (
              <div className="jp-studio-note">
                {trans.__(
                  'Showing the first %1 of %2 metrics.',
                  MAX_METRIC_CHARTS,
                  metricKeys.length
                )}
              </div>
            ) : null}
          </section>
          <section className="jp-studio-section">
            <h3>{trans.__('Parameter vs metric')}</h3>
            <div className="jp-studio-toolbar">
              <label className="jp-studio-inline">
                {trans.__('Parameter')}
                <select
                  className="jp-mod-styled"
                  data-testid="scatter-param"
                  value={chosenParam}
                  onChange={event => setParam(event.target.value)}
                >
                  {paramKeys.map(key => (
                    <option key={key} value={key}>
                      {key}
                    </option>
                  ))}
                </select>
              </label>
              <label className="jp-studio-inline">
                {trans.__('Metric')}
                <select
                  className="jp-mod-styled"
                  data-testid="scatter-metric"
                  value={chosenMetric}
                  onChange={event => setMetric(event.target.value)}
                >
                  {metricKeys.map(key => (
                    <option key={key} value={key}>
                      {key}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            {scatter ? (
              <div className="jp-studio-chart-grid">
                <ChartView
                  config={scatter}
                  testid="param-scatter-chart"
                  label={`${chosenMetric} vs ${chosenParam}`}
                />
              </div>
            ) : (
              <div className="jp-studio-empty">
                {trans.__('A scatter needs a parameter and a metric.')}
              </div>
            )}
          </section>
          <section className="jp-studio-section">
            <h3>{trans.__('Side by side')}</h3>
            <SideBySide
              nav={nav}
              runs={runs}
              params={data.compare.params}
              metrics={data.compare.metrics}
            />
          </section>
        </>
      ) : null}
    </div>
  );
}
