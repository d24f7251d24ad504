/**
 * Invocations, 4xx/5xx and latency p50/p90/p99 over a chosen range, drawn from the history the agent
 * samples into the database (`series` of GET .../metrics): it survives replica restarts, updates and
 * closing the view, so the charts show the same past whenever they are opened. With two or more
 * series (variants, or one variant's old and new model version during an update), dashed lines
 * show how traffic splits (a canary's share, its p99).
 */
import { ChartConfiguration, ScriptableContext } from 'chart.js';
import * as React from 'react';

import {
  EndpointsAPI,
  IEndpointMetricPoint,
  IEndpointMetrics,
  IEndpointMetricSeries
} from '../../api';
import { parseDate } from '../../format';
import { IEndpointsNav } from '../../tokens';
import { ChartView } from '../common/Chart';
import { ErrorBox } from '../common/ErrorBox';
import { useRequest } from '../common/hooks';

/** The ranges offered, and how often each is polled (a point per period is ~1/180 of the range). */
const RANGES: { seconds: number; pollMs: number }[] = [
  { seconds: 15 * 60, pollMs: 2000 },
  { seconds: 60 * 60, pollMs: 5000 },
  { seconds: 6 * 3600, pollMs: 10000 },
  { seconds: 24 * 3600, pollMs: 15000 }
];

const COLORS = ['#1976d2', '#8e24aa', '#00897b', '#f4511e', '#6d4c41', '#3949ab'];

/** One answer and the range it was asked for (the view may already show another range). */
interface IAnswer {
  sinceSeconds: number;
  metrics: IEndpointMetrics;
}

/** Summed over the drawn range; latency of the latest period with traffic. */
interface ITotals {
  invocations: number;
  errors4xx: number;
  errors5xx: number;
  latest: { p50: number | null; p90: number | null; p99: number | null };
}

function rangeLabel(seconds: number, trans: IEndpointsNav['trans']): string {
  return seconds < 3600
    ? trans.__('Last %1 min', Math.round(seconds / 60))
    : trans.__('Last %1 h', Math.round(seconds / 3600));
}

/** A period's start in local time: to the minute on the axis, to the second in the tooltip. */
function timeLabel(value: string, seconds = false): string {
  const date = parseDate(value);
  return date
    ? date.toLocaleTimeString([], {
        hour: 'numeric',
        minute: '2-digit',
        second: seconds ? '2-digit' : undefined
      })
    : value;
}

function totals(whole: IEndpointMetricSeries): ITotals {
  const sum = (pick: (p: IEndpointMetricPoint) => number) =>
    whole.points.reduce((total, p) => total + pick(p), 0);
  const last = [...whole.points].reverse().find(p => p.latency_p99_ms !== null);
  return {
    invocations: sum(p => p.invocations),
    errors4xx: sum(p => p.errors_4xx),
    errors5xx: sum(p => p.errors_5xx),
    latest: {
      p50: last?.latency_p50_ms ?? null,
      p90: last?.latency_p90_ms ?? null,
      p99: last?.latency_p99_ms ?? null
    }
  };
}

function lineConfig(
  labels: string[],
  titles: string[],
  datasets: { label: string; data: (number | null)[]; color: string; dashed?: boolean }[],
  yTitle: string
): ChartConfiguration {
  return {
    type: 'line',
    data: {
      labels,
      datasets: datasets.map(d => ({
        label: d.label,
        data: d.data,
        borderColor: d.color,
        backgroundColor: d.color,
        borderDash: d.dashed ? [4, 3] : undefined,
        borderWidth: 1.5,
        // Dense series are lines; a lone value between gaps (one busy period) still shows as a dot.
        pointRadius: (ctx: ScriptableContext<'line'>) => {
          const i = ctx.dataIndex;
          if (d.data[i] === null || d.data[i] === undefined) {
            return 0;
          }
          const lone = (d.data[i - 1] ?? null) === null && (d.data[i + 1] ?? null) === null;
          return labels.length <= 60 || lone ? 2.5 : 0;
        },
        // A period without traffic has no latency: a gap, not a line through it.
        spanGaps: false
      }))
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { ticks: { autoSkip: true, maxTicksLimit: 6, maxRotation: 0 } },
        y: { beginAtZero: true, title: { display: !!yTitle, text: yTitle } }
      },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { title: items => (items.length ? titles[items[0].dataIndex] : '') } }
      }
    }
  };
}

/** "primary v2": a series' variant and the model version its replicas served. */
function seriesLabel(series: IEndpointMetricSeries): string {
  return series.model_version
    ? `${series.variant ?? ''} v${series.model_version}`
    : (series.variant ?? '');
}

/**
 * Chart configs from one answer: the whole endpoint, plus a line per variant and model version
 * when there are 2+ (two variants, or one variant during and after an update: the canary beside
 * the version it replaces).
 */
function chartConfigs(
  metrics: IEndpointMetrics,
  trans: IEndpointsNav['trans'],
  createdAt: string | null
) {
  const period = metrics.period_seconds > 0 ? metrics.period_seconds : 1;
  const whole = metrics.series.find(s => s.variant === null);
  const variants = metrics.series.filter(s => s.variant !== null);
  // Periods that ended before the endpoint existed are blank, not a line of zeros.
  const born = createdAt ? Date.parse(createdAt) : NaN;
  const existed = (p: IEndpointMetricPoint) =>
    isNaN(born) || Date.parse(p.time) + period * 1000 > born;
  const points = (whole?.points ?? []).map(p =>
    existed(p) ? p : { ...p, invocations: NaN, errors_4xx: NaN, errors_5xx: NaN }
  );
  const labels = points.map(p => timeLabel(p.time));
  const titles = points.map(p => timeLabel(p.time, true));
  const perSecond =
    (pick: (p: IEndpointMetricPoint) => number) =>
    (p: IEndpointMetricPoint): number | null =>
      isNaN(pick(p)) ? null : pick(p) / period;
  const split = variants.length >= 2;
  // A variant's series has the same periods as the whole endpoint's; align by time to be safe.
  const aligned = (
    series: (typeof variants)[0],
    pick: (p: IEndpointMetricPoint) => number | null
  ): (number | null)[] => {
    const byTime = new Map(series.points.map(p => [p.time, p]));
    return points.map(p => {
      const match = byTime.get(p.time);
      return match ? pick(match) : null;
    });
  };
  return {
    invocations: lineConfig(
      labels,
      titles,
      [
        {
          label: split ? trans.__('all variants') : trans.__('invocations/s'),
          data: points.map(perSecond(p => p.invocations)),
          color: COLORS[0]
        },
        ...(split
          ? variants.map((s, i) => ({
              label: seriesLabel(s),
              data: aligned(s, p => p.invocations / period),
              color: COLORS[(i + 1) % COLORS.length],
              dashed: true
            }))
          : [])
      ],
      trans.__('per second')
    ),
    errors: lineConfig(
      labels,
      titles,
      [
        { label: '4xx/s', data: points.map(perSecond(p => p.errors_4xx)), color: '#ef6c00' },
        { label: '5xx/s', data: points.map(perSecond(p => p.errors_5xx)), color: '#c62828' }
      ],
      trans.__('per second')
    ),
    latency: lineConfig(
      labels,
      titles,
      [
        { label: 'p50', data: points.map(p => p.latency_p50_ms), color: '#2e7d32' },
        { label: 'p90', data: points.map(p => p.latency_p90_ms), color: '#f9a825' },
        { label: 'p99', data: points.map(p => p.latency_p99_ms), color: '#c62828' },
        ...(split
          ? variants.map((s, i) => ({
              label: trans.__('%1 p99', seriesLabel(s)),
              data: aligned(s, p => p.latency_p99_ms),
              color: COLORS[(i + 1) % COLORS.length],
              dashed: true
            }))
          : [])
      ],
      'ms'
    )
  };
}

export function EndpointCharts(props: {
  nav: IEndpointsNav;
  name: string;
  /** When the endpoint was created: earlier periods are drawn blank. */
  createdAt?: string | null;
}): JSX.Element {
  const trans = props.nav.trans;
  const root = React.useRef<HTMLDivElement>(null);
  const [range, setRange] = React.useState(RANGES[0]);
  const metrics = useRequest<IAnswer>(
    async () => ({
      sinceSeconds: range.seconds,
      metrics: await EndpointsAPI.metrics(props.name, range.seconds)
    }),
    [props.name, range.seconds],
    { poll: { interval: range.pollMs, ref: root, name: `EndpointMetrics:${props.name}` } }
  );
  const answer = metrics.data;
  const configs = React.useMemo(
    () => chartConfigs(answer?.metrics ?? emptyMetrics(props.name), trans, props.createdAt ?? null),
    [answer, props.name, trans, props.createdAt]
  );
  // The whole endpoint's series (the server always sends it first, zero-filled).
  const whole = answer?.metrics.series.find(s => s.variant === null);
  const sums = whole ? totals(whole) : null;
  // Periods with traffic in the drawn history (a hook for tests and a hint when the range is empty).
  const busyPeriods = whole?.points.filter(p => p.invocations > 0).length ?? 0;
  const born = props.createdAt ? Date.parse(props.createdAt) : NaN;
  const period = (answer?.metrics.period_seconds ?? 0) * 1000;
  const blankPeriods = isNaN(born)
    ? 0
    : (whole?.points.filter(p => Date.parse(p.time) + period <= born).length ?? 0);
  return (
    <div
      className="jp-studio-endpoint-charts"
      ref={root}
      data-testid="endpoint-metrics"
      data-since-seconds={answer?.sinceSeconds ?? ''}
      data-period-seconds={answer?.metrics.period_seconds ?? ''}
      data-blank-periods={blankPeriods}
    >
      <div className="jp-studio-actions jp-studio-endpoint-metrics-bar">
        <label className="jp-studio-endpoint-range">
          <span>{trans.__('Range')}</span>
          <select
            className="jp-mod-styled"
            data-testid="endpoint-metrics-range"
            value={range.seconds}
            onChange={event =>
              setRange(RANGES.find(r => r.seconds === Number(event.target.value)) ?? RANGES[0])
            }
          >
            {RANGES.map(r => (
              <option key={r.seconds} value={r.seconds}>
                {rangeLabel(r.seconds, trans)}
              </option>
            ))}
          </select>
        </label>
        {answer ? (
          <span className="jp-studio-muted">
            {trans.__('one point per %1 s', answer.metrics.period_seconds)}
          </span>
        ) : null}
      </div>
      <ErrorBox message={metrics.error} />
      <div
        className="jp-studio-endpoint-totals"
        data-testid="endpoint-metric-totals"
        data-source={sums ? 'history' : ''}
      >
        {sums ? (
          <>
            <span className="jp-studio-muted" data-testid="metric-totals-label">
              {trans.__('Totals (%1):', rangeLabel(answer!.sinceSeconds, trans).toLowerCase())}
            </span>
            <span data-testid="metric-invocations" data-value={sums.invocations}>
              {trans.__('Invocations: %1', sums.invocations)}
            </span>
            <span data-testid="metric-4xx" data-value={sums.errors4xx}>
              4xx: {sums.errors4xx}
            </span>
            <span data-testid="metric-5xx" data-value={sums.errors5xx}>
              5xx: {sums.errors5xx}
            </span>
            <span title={trans.__('The latest period with traffic')}>
              {trans.__('Latest p50/p90/p99:')}{' '}
              {[sums.latest.p50, sums.latest.p90, sums.latest.p99]
                .map(x => (x === null ? '—' : `${x.toFixed(1)} ms`))
                .join(' / ')}
            </span>
          </>
        ) : (
          <span className="jp-studio-muted">{trans.__('Waiting for metrics…')}</span>
        )}
      </div>
      <div className="jp-studio-endpoint-chart-grid">
        <div className="jp-studio-endpoint-chart" data-traffic-points={busyPeriods}>
          <h4>{trans.__('Invocations per second')}</h4>
          <ChartView
            config={configs.invocations}
            testid="endpoint-invocations-chart"
            label={trans.__('Invocations per second over time')}
          />
        </div>
        <div className="jp-studio-endpoint-chart">
          <h4>{trans.__('Errors per second')}</h4>
          <ChartView
            config={configs.errors}
            testid="endpoint-errors-chart"
            label={trans.__('4xx and 5xx per second over time')}
          />
        </div>
        <div className="jp-studio-endpoint-chart">
          <h4>{trans.__('Latency (ms)')}</h4>
          <ChartView
            config={configs.latency}
            testid="endpoint-latency-chart"
            label={trans.__('Latency p50, p90, p99 over time')}
          />
        </div>
      </div>
    </div>
  );
}

function emptyMetrics(name: string): IEndpointMetrics {
  return { name, variants: [], prometheus: '', period_seconds: 5, series: [] };
}
