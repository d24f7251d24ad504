/**
 * Invocations, 4xx/5xx and latency p50/p90/p99 over time: /metrics polled while the view is shown,
 * each answer one point. The replicas' counters are totals since each replica started, so a
 * replaced replica (update, restart) resets them: rates and totals here count a drop as a reset,
 * as Prometheus' rate() does.
 */
import { ChartConfiguration } from 'chart.js';
import * as React from 'react';

import { EndpointsAPI, IEndpointMetrics } from '../../endpointsApi';
import { ChartView } from '../experiments/Chart';
import { ErrorBox } from '../common';
import { IEndpointsNav, usePoll } from './shared';

const METRICS_POLL_MS = 2000;
const MAX_POINTS = 150; // 5 minutes at one point every 2 s

/** The raw counters of one answer, summed over variants. */
interface ICounters {
  at: number;
  invocations: number;
  errors4xx: number;
  errors5xx: number;
}

interface IPoint {
  label: string;
  /** Per second since the previous answer. */
  rate: number;
  rate4xx: number;
  rate5xx: number;
  /** Since the view opened plus what the replicas had counted before (reset-aware). */
  invocations: number;
  errors4xx: number;
  errors5xx: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** Totals over variants. */
function counters(metrics: IEndpointMetrics): ICounters {
  const sum = (pick: (v: IEndpointMetrics['variants'][0]) => number) =>
    metrics.variants.reduce((total, v) => total + pick(v), 0);
  return {
    at: Date.now(),
    invocations: sum(v => v.invocations),
    errors4xx: sum(v => v.errors_4xx),
    errors5xx: sum(v => v.errors_5xx)
  };
}

/** How much a counter grew; a smaller value means the replicas restarted from 0. */
function increase(previous: number, current: number): number {
  return current >= previous ? current - previous : current;
}

/** One chart point; latencies as the worst variant (what a caller can hit). */
function toPoint(
  metrics: IEndpointMetrics,
  now: ICounters,
  before: ICounters | null,
  last: IPoint | undefined
): IPoint {
  const seconds = before ? Math.max((now.at - before.at) / 1000, 0.001) : 1;
  const grew = (key: 'invocations' | 'errors4xx' | 'errors5xx') =>
    before ? increase(before[key], now[key]) : 0;
  const rate = (key: 'invocations' | 'errors4xx' | 'errors5xx') => grew(key) / seconds;
  const worst = (pick: (v: IEndpointMetrics['variants'][0]) => number | null) => {
    const values = metrics.variants.map(pick).filter((x): x is number => x !== null);
    return values.length ? Math.max(...values) : null;
  };
  return {
    label: new Date(now.at).toLocaleTimeString(),
    rate: rate('invocations'),
    rate4xx: rate('errors4xx'),
    rate5xx: rate('errors5xx'),
    invocations: last ? last.invocations + grew('invocations') : now.invocations,
    errors4xx: last ? last.errors4xx + grew('errors4xx') : now.errors4xx,
    errors5xx: last ? last.errors5xx + grew('errors5xx') : now.errors5xx,
    p50: worst(v => v.latency_p50_ms),
    p90: worst(v => v.latency_p90_ms),
    p99: worst(v => v.latency_p99_ms)
  };
}

function lineConfig(
  labels: string[],
  datasets: { label: string; data: (number | null)[]; color: string }[],
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
        pointRadius: 2,
        spanGaps: true
      }))
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, title: { display: !!yTitle, text: yTitle } } },
      plugins: { legend: { position: 'bottom' } }
    }
  };
}

export function EndpointCharts(props: { nav: IEndpointsNav; name: string }): JSX.Element {
  const trans = props.nav.trans;
  const root = React.useRef<HTMLDivElement>(null);
  const [points, setPoints] = React.useState<IPoint[]>([]);
  const before = React.useRef<ICounters | null>(null);
  const metrics = usePoll(
    async () => {
      const answer = await EndpointsAPI.metrics(props.name);
      const now = counters(answer);
      const previousCounters = before.current;
      before.current = now;
      setPoints(previous =>
        [...previous, toPoint(answer, now, previousCounters, previous[previous.length - 1])].slice(
          -MAX_POINTS
        )
      );
      return answer;
    },
    METRICS_POLL_MS,
    root,
    [props.name]
  );
  const configs = React.useMemo(() => {
    const labels = points.map(p => p.label);
    return {
      invocations: lineConfig(
        labels,
        [{ label: trans.__('requests/s'), data: points.map(p => p.rate), color: '#1976d2' }],
        ''
      ),
      errors: lineConfig(
        labels,
        [
          { label: '4xx', data: points.map(p => p.rate4xx), color: '#ef6c00' },
          { label: '5xx', data: points.map(p => p.rate5xx), color: '#c62828' }
        ],
        ''
      ),
      latency: lineConfig(
        labels,
        [
          { label: 'p50', data: points.map(p => p.p50), color: '#2e7d32' },
          { label: 'p90', data: points.map(p => p.p90), color: '#f9a825' },
          { label: 'p99', data: points.map(p => p.p99), color: '#c62828' }
        ],
        'ms'
      )
    };
  }, [points]);
  const last = points[points.length - 1];
  return (
    <div className="jp-studio-endpoint-charts" ref={root} data-testid="endpoint-metrics">
      <ErrorBox message={metrics.error} />
      <div className="jp-studio-endpoint-totals" data-testid="endpoint-metric-totals">
        {last ? (
          <>
            <span data-testid="metric-invocations" data-value={last.invocations}>
              {trans.__('Invocations: %1', last.invocations)}
            </span>
            <span data-testid="metric-4xx" data-value={last.errors4xx}>
              4xx: {last.errors4xx}
            </span>
            <span data-testid="metric-5xx" data-value={last.errors5xx}>
              5xx: {last.errors5xx}
            </span>
            <span>
              p50/p90/p99:{' '}
              {[last.p50, last.p90, last.p99]
                .map(x => (x === null ? '—' : `${x.toFixed(1)} ms`))
                .join(' / ')}
            </span>
          </>
        ) : (
          <span className="jp-studio-muted">{trans.__('Waiting for metrics…')}</span>
        )}
      </div>
      <div className="jp-studio-endpoint-chart-grid">
        <div className="jp-studio-endpoint-chart">
          <h4>{trans.__('Invocations per second')}</h4>
          <ChartView
            config={configs.invocations}
            testid="endpoint-invocations-chart"
            label={trans.__('Invocations over time')}
          />
        </div>
        <div className="jp-studio-endpoint-chart">
          <h4>{trans.__('Errors per second')}</h4>
          <ChartView
            config={configs.errors}
            testid="endpoint-errors-chart"
            label={trans.__('4xx and 5xx over time')}
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
