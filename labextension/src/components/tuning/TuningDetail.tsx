/**
 * One tuning job in the main area, polled while shown: status and trial counts, the search it runs,
 * the best trial, the charts and the leaderboard; Stop, Open best run (MLflow UI), Deploy best.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { IDescribeTuningJob, isLive, JobsAPI, TrialSort, TuningAPI } from '../../api';
import { formatDuration, formatTime, formatValue, parseDate } from '../../format';
import { ITuningNav } from '../../tokens';
import { Field, RefreshButton } from '../common/controls';
import { ErrorBox } from '../common/ErrorBox';
import { useAction, useRequest } from '../common/hooks';
import { JobStatusBadge } from '../common/StatusBadge';
import { DeployBestDialog } from './DeployBest';
import { Leaderboard } from './Leaderboard';
import { TuningCharts } from './TuningCharts';
import { countsText } from './TuningList';

const LIVE_POLL_MS = 2000;
/** A finished job changes no more, but a view left open still notices a refresh elsewhere. */
const ENDED_POLL_MS = 30000;

/** How long the job ran (or has run so far). */
function elapsed(job: IDescribeTuningJob): string {
  const start = parseDate(job.started_at);
  if (!start) {
    return '';
  }
  const end = parseDate(job.ended_at) ?? new Date();
  return formatDuration((end.getTime() - start.getTime()) / 1000);
}

export function TuningDetail(props: {
  nav: ITuningNav;
  tuningJobId: string;
  /** The job's name is known (a restored view was labelled with its id). */
  onName?: (name: string) => void;
}): JSX.Element {
  const { nav, tuningJobId, onName } = props;
  const trans = nav.trans;
  const root = React.useRef<HTMLDivElement>(null);
  const [sortBy, setSortBy] = React.useState<TrialSort>('objective');
  const [live, setLive] = React.useState(true);
  const state = useRequest(() => TuningAPI.get(tuningJobId, sortBy), [tuningJobId, sortBy], {
    poll: {
      interval: live ? LIVE_POLL_MS : ENDED_POLL_MS,
      ref: root,
      name: `TuningDetail:${tuningJobId}`
    }
  });
  const job = state.data;
  const jobLive = job ? isLive(job.status) : true;
  if (jobLive !== live) {
    setLive(jobLive);
  }
  React.useEffect(() => {
    if (job?.name) {
      onName?.(job.name);
    }
  }, [job?.name, onName]);
  const action = useAction();
  const [deploying, setDeploying] = React.useState(false);
  const best = job?.best_trial ?? null;

  const stop = async () => {
    const answer = await showDialog({
      title: trans.__('Stop tuning job %1?', job?.name ?? tuningJobId),
      body: trans.__('No new trial starts and the running ones stop. Completed trials stay.'),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Stop') })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    const stopped = await action.run(() => TuningAPI.stop(tuningJobId));
    if (stopped) {
      state.reload();
      nav.tuningChanged();
    }
  };

  const openBestRun = () =>
    void action.run(async () => {
      if (!best?.job_id) {
        return;
      }
      const trialJob = await JobsAPI.get(best.job_id);
      if (!nav.openJobRun(trialJob)) {
        throw new Error(trans.__('The best trial has no MLflow run to open.'));
      }
    });

  return (
    <div
      className="jp-studio-TuningDetail"
      ref={root}
      data-tuning-job-id={tuningJobId}
      data-status={job?.status ?? ''}
      data-completed={job?.counts.completed ?? ''}
      data-testid="tuning-detail"
    >
      <div className="jp-studio-header">
        <h2 className="jp-studio-tuning-title">{job?.name ?? tuningJobId}</h2>
        {job ? <JobStatusBadge status={job.status} trans={trans} /> : null}
        <span className="jp-studio-spacer" />
        <button
          className="jp-Button jp-mod-styled jp-mod-warn"
          data-testid="tuning-stop"
          disabled={!job || !jobLive || job.status === 'Stopping' || action.busy}
          onClick={() => void stop()}
        >
          {trans.__('Stop')}
        </button>
        <button
          className="jp-Button jp-mod-styled"
          data-testid="tuning-open-best-run"
          disabled={!best?.job_id || action.busy}
          title={trans.__("Open the best trial's MLflow run")}
          onClick={openBestRun}
        >
          {trans.__('Open best run')}
        </button>
        {nav.canDeploy ? (
          <button
            className="jp-Button jp-mod-styled jp-mod-accept"
            data-testid="tuning-deploy-best"
            disabled={!best?.model_uri}
            title={
              best?.model_uri
                ? trans.__("Register the best trial's model and serve it from an endpoint")
                : trans.__('Once a trial of an algorithm job completed with a model')
            }
            onClick={() => setDeploying(true)}
          >
            {trans.__('Deploy best')}
          </button>
        ) : null}
        <RefreshButton title={trans.__('Refresh')} testid="tuning-refresh" onClick={state.reload} />
      </div>
      <ErrorBox message={state.error} />
      <ErrorBox message={action.error} testid="tuning-action-error" />
      {job && deploying ? (
        <DeployBestDialog nav={nav} job={job} onClose={() => setDeploying(false)} />
      ) : null}
      {job ? (
        <>
          {job.status_reason ? (
            <div
              className={`jp-studio-reason jp-studio-reason-${job.status}`}
              data-testid="tuning-reason"
            >
              {job.status_reason}
            </div>
          ) : null}
          <section className="jp-studio-section jp-studio-tuning-summary">
            <dl className="jp-studio-fields">
              <Field label={trans.__('Trials')} testid="tuning-counts">
                {countsText(nav, job)}
              </Field>
              <Field label={trans.__('Best')} testid="tuning-best">
                {best && best.objective !== null
                  ? trans.__(
                      '%1 = %2 (trial %3)',
                      job.objective.metric,
                      formatValue(best.objective),
                      best.trial_number
                    )
                  : '—'}
              </Field>
              {best ? (
                <Field label={trans.__('Best parameters')} testid="tuning-best-parameters">
                  {Object.entries(best.parameters)
                    .map(([k, v]) => `${k} = ${formatValue(v)}`)
                    .join(', ')}
                </Field>
              ) : null}
              <Field label={trans.__('Objective')}>
                {`${job.objective.type ?? ''} ${job.objective.metric}`}
              </Field>
              <Field label={trans.__('Search')}>
                {trans.__(
                  '%1, %2 in parallel, early stopping %3%4',
                  job.strategy,
                  job.max_parallel_trials,
                  job.early_stopping,
                  job.max_runtime_seconds
                    ? trans.__(', at most %1', formatDuration(job.max_runtime_seconds))
                    : ''
                )}
              </Field>
              <Field label={trans.__('Training job')}>
                {job.training_job.algorithm ?? job.training_job.input ?? ''}
                {job.training_job.instance_type ? ` · ${job.training_job.instance_type}` : ''}
              </Field>
              <Field label={trans.__('Experiment')}>{job.experiment_name}</Field>
              <Field label={trans.__('Created')}>
                {formatTime(job.created_at)}
                {job.created_by ? ` ${trans.__('by %1', job.created_by)}` : ''}
              </Field>
              {job.started_at ? (
                <Field label={job.ended_at ? trans.__('Ran for') : trans.__('Running for')}>
                  {elapsed(job)}
                </Field>
              ) : null}
            </dl>
          </section>
          <section className="jp-studio-section">
            <h3>{trans.__('Charts')}</h3>
            <TuningCharts nav={nav} job={job} />
          </section>
          <section className="jp-studio-section">
            <h3>{trans.__('Leaderboard')}</h3>
            <Leaderboard nav={nav} job={job} sortBy={sortBy} onSort={setSortBy} />
          </section>
        </>
      ) : null}
    </div>
  );
}
