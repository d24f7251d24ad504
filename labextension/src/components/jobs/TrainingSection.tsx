/**
 * An algorithm job's training: the algorithm, the model it produced, its final metrics, and one
 * chart per metric logged per epoch or round, redrawn while the job runs.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ChartConfiguration } from 'chart.js';
import * as React from 'react';

import { ExperimentsAPI, IDescribeJob, IMetricHistory, isLive } from '../../api';
import { ChartView } from '../common/Chart';
import { Field, KeyValueTable } from '../common/controls';
import { ErrorBox } from '../common/ErrorBox';
import { useRequest } from '../common/hooks';

/** Charts drawn at most (one history request each). */
const MAX_CHARTS = 8;
const POLL_MS = 2000;

async function loadHistories(runId: string): Promise<IMetricHistory[]> {
  const run = await ExperimentsAPI.getRun(runId);
  const keys = Object.keys(run.metrics).sort().slice(0, 40);
  const histories = await Promise.all(keys.map(key => ExperimentsAPI.metricHistory(runId, key)));
  // A metric logged once (a final score) is a number in the table, not a chart.
  return histories
    .filter(h => h.points.filter(p => p.value !== null).length > 1)
    .slice(0, MAX_CHARTS);
}

function lineConfig(history: IMetricHistory): ChartConfiguration {
  return {
    type: 'line',
    data: {
      datasets: [
        {
          label: history.key,
          data: history.points
            .filter(point => point.value !== null)
            .map(point => ({ x: point.step, y: point.value as number })),
          borderColor: '#1976d2',
          backgroundColor: '#1976d2',
          pointRadius: 2,
          borderWidth: 2
        }
      ]
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      plugins: { title: { display: true, text: history.key }, legend: { display: false } },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'epoch / round' } },
        y: { type: 'linear' }
      }
    }
  };
}

export function TrainingSection(props: {
  job: IDescribeJob;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { job, trans } = props;
  const ref = React.useRef<HTMLElement>(null);
  const live = isLive(job.status);
  const runId = job.mlflow_run_id;
  const histories = useRequest(
    () => (runId ? loadHistories(runId) : Promise.resolve([])),
    [runId],
    // Polled while the job runs; once it ended, fetched once more (the last epochs, final scores).
    live ? { poll: { interval: POLL_MS, ref, name: `training-${job.job_id}` } } : { refreshKey: 1 }
  );
  const training = job.training;
  if (!training) {
    return null;
  }
  const result = training.result;
  return (
    <section className="jp-studio-section" ref={ref} data-testid="job-training">
      <h3>{trans.__('Training')}</h3>
      <dl className="jp-studio-fields">
        <Field label={trans.__('Algorithm')} testid="job-training-algorithm">
          {training.algorithm}
        </Field>
        <Field label={trans.__('Model')} testid="job-training-model">
          {result?.model_uri ?? '—'}
        </Field>
      </dl>
      <h4>{trans.__('Hyperparameters')}</h4>
      <KeyValueTable
        values={training.hyperparameters}
        empty={trans.__('Default hyperparameters.')}
        testid="job-training-hyperparameters"
      />
      {result ? <h4>{trans.__('Final metrics')}</h4> : null}
      {result ? (
        <KeyValueTable
          values={result.metrics}
          empty={trans.__('No metrics.')}
          testid="job-training-metrics"
        />
      ) : null}
      <ErrorBox message={histories.error} />
      <div className="jp-studio-chart-grid" data-testid="job-training-charts">
        {(histories.data ?? []).map(history => (
          <ChartView
            key={history.key}
            config={lineConfig(history)}
            testid="job-training-chart"
            label={history.key}
          />
        ))}
      </div>
    </section>
  );
}
