/**
 * A tuning job's charts: the objective of each trial with the running best, the trials across the
 * parameters (parallel coordinates, coloured by objective) and the parameters' importance.
 */
import { ChartConfiguration } from 'chart.js';
import * as React from 'react';

import { IDescribeTuningJob, IParameterRange, ITuningTrial } from '../../api';
import { formatValue } from '../../format';
import { ITuningNav } from '../../tokens';
import { ChartView } from '../common/Chart';
import { IParallelAxis, IParallelLine, ParallelCoordinates } from '../common/ParallelCoordinates';

const TRIAL_COLOR = '#1976d2';
const PRUNED_COLOR = '#9e9e9e';
const BEST_COLOR = '#f4511e';

/** Trials with an objective, in the order they started. */
function scored(trials: ITuningTrial[], status: ITuningTrial['status']): ITuningTrial[] {
  return trials
    .filter(t => t.status === status && t.objective !== null)
    .sort((a, b) => a.trial_number - b.trial_number);
}

/** The best objective so far after each completed trial (in trial order). */
export function runningBest(
  completed: ITuningTrial[],
  maximize: boolean
): { x: number; y: number }[] {
  let best: number | null = null;
  return completed.map(t => {
    const value = t.objective as number;
    best = best === null ? value : maximize ? Math.max(best, value) : Math.min(best, value);
    return { x: t.trial_number, y: best };
  });
}

function objectiveConfig(
  nav: ITuningNav,
  job: IDescribeTuningJob,
  completed: ITuningTrial[],
  pruned: ITuningTrial[]
): ChartConfiguration {
  const { trans } = nav;
  const maximize = job.objective.type === 'Maximize';
  const points = (trials: ITuningTrial[]) =>
    trials.map(t => ({ x: t.trial_number, y: t.objective as number }));
  return {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: trans.__('Completed trials'),
          data: points(completed),
          backgroundColor: TRIAL_COLOR,
          borderColor: TRIAL_COLOR,
          pointRadius: 4
        },
        {
          label: trans.__('Best so far'),
          data: runningBest(completed, maximize),
          borderColor: BEST_COLOR,
          backgroundColor: BEST_COLOR,
          showLine: true,
          stepped: 'before',
          pointRadius: 0,
          borderWidth: 2
        },
        ...(pruned.length
          ? [
              {
                label: trans.__('Pruned (last value)'),
                data: points(pruned),
                backgroundColor: PRUNED_COLOR,
                borderColor: PRUNED_COLOR,
                pointStyle: 'crossRot' as const,
                pointRadius: 5
              }
            ]
          : [])
      ]
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: {
          title: { display: true, text: trans.__('Trial') },
          ticks: { precision: 0 }
        },
        y: { title: { display: true, text: job.objective.metric } }
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } }
    }
  };
}

function importanceConfig(nav: ITuningNav, importances: [string, number][]): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: importances.map(([name]) => name),
      datasets: [
        {
          label: nav.trans.__('Importance'),
          data: importances.map(([, value]) => value),
          backgroundColor: TRIAL_COLOR
        }
      ]
    },
    options: {
      indexAxis: 'y',
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { x: { beginAtZero: true, max: 1 } },
      plugins: { legend: { display: false } }
    }
  };
}

/** An axis per range (its search space), then the objective's (the values seen). */
function parallelAxes(
  ranges: Record<string, IParameterRange>,
  metric: string,
  objectives: number[]
): IParallelAxis[] {
  const axes: IParallelAxis[] = Object.entries(ranges).map(([name, range]) =>
    range.type === 'Categorical'
      ? { name, categories: range.values ?? [] }
      : {
          name,
          numeric: {
            min: range.min ?? 0,
            max: range.max ?? 1,
            log: range.scaling === 'Logarithmic'
          }
        }
  );
  let low = Math.min(...objectives);
  let high = Math.max(...objectives);
  if (!(high > low)) {
    // One value (or all equal): a small band around it, so the lines sit mid-axis.
    const pad = Math.abs(low) * 0.01 || 0.01;
    low -= pad;
    high += pad;
  }
  axes.push({ name: metric, numeric: { min: low, max: high } });
  return axes;
}

/** Light (worst) to strong (best) blue by the objective's rank among the trials. */
function rankColor(rank: number, count: number): string {
  const share = count <= 1 ? 1 : 1 - rank / (count - 1);
  const lightness = Math.round(78 - share * 40);
  return `hsl(210, 70%, ${lightness}%)`;
}

export function TuningCharts(props: { nav: ITuningNav; job: IDescribeTuningJob }): JSX.Element {
  const { nav, job } = props;
  const trans = nav.trans;
  const trials = job.trials ?? [];
  // Charts are rebuilt only when what they draw changes, not at every poll.
  const drawn = JSON.stringify([
    trials.map(t => [t.trial_number, t.status, t.objective]),
    job.parameter_importances,
    job.best_trial?.trial_number
  ]);
  const maximize = job.objective.type === 'Maximize';
  const charts = React.useMemo(() => {
    const completed = scored(trials, 'Completed');
    const pruned = scored(trials, 'Pruned');
    const importances = Object.entries(job.parameter_importances).sort(([, a], [, b]) => b - a);
    const ranked = [...completed].sort((a, b) =>
      maximize
        ? (b.objective as number) - (a.objective as number)
        : (a.objective as number) - (b.objective as number)
    );
    const best = job.best_trial?.trial_number;
    const lines: IParallelLine[] = completed.map(t => ({
      key: String(t.trial_number),
      values: [...Object.keys(job.parameter_ranges).map(name => t.parameters[name]), t.objective],
      color: t.trial_number === best ? BEST_COLOR : rankColor(ranked.indexOf(t), ranked.length),
      highlight: t.trial_number === best,
      title: `${trans.__('Trial %1', t.trial_number)}: ${job.objective.metric} ${formatValue(t.objective)}\n${Object.entries(
        t.parameters
      )
        .map(([k, v]) => `${k} = ${formatValue(v)}`)
        .join('\n')}`
    }));
    return {
      completed,
      objective: objectiveConfig(nav, job, completed, pruned),
      importances,
      importance: importanceConfig(nav, importances),
      axes: parallelAxes(
        job.parameter_ranges,
        job.objective.metric,
        completed.map(t => t.objective as number)
      ),
      lines
    };
    // `drawn` stands for the trials, importances and best trial those charts show.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [drawn, maximize]);
  if (!charts.completed.length) {
    return (
      <div className="jp-studio-empty" data-testid="tuning-charts-empty">
        {trans.__('The charts appear once a trial completed.')}
      </div>
    );
  }
  return (
    <div className="jp-studio-tuning-charts">
      <div className="jp-studio-tuning-chart">
        <h4>{trans.__('Objective by trial')}</h4>
        <ChartView
          config={charts.objective}
          testid="tuning-objective-chart"
          label={trans.__('%1 of each trial and the best so far', job.objective.metric)}
        />
      </div>
      <div className="jp-studio-tuning-chart">
        <h4>{trans.__('Parameter importance')}</h4>
        {charts.importances.length ? (
          <ChartView
            config={charts.importance}
            testid="tuning-importance-chart"
            label={trans.__('Importance of each parameter (fANOVA)')}
          />
        ) : (
          <div className="jp-studio-empty" data-testid="tuning-importance-empty">
            {trans.__('Known once two trials completed.')}
          </div>
        )}
      </div>
      <div className="jp-studio-tuning-chart jp-studio-tuning-chart-wide">
        <h4>{trans.__('Trials across the parameters')}</h4>
        <div className="jp-studio-parallel-scroll">
          <ParallelCoordinates
            axes={charts.axes}
            lines={charts.lines}
            testid="tuning-parallel-chart"
            label={trans.__('Each completed trial through its parameter values and objective')}
          />
        </div>
        <span className="jp-studio-hint">
          {trans.__('Darker blue is better; the best trial is the thick orange line.')}
        </span>
      </div>
    </div>
  );
}
