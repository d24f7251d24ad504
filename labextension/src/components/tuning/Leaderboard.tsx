/**
 * The trials of a tuning job as a leaderboard: number, status, objective, the value of each range,
 * the trial's job (a link to its view) and steps reported. The server sorts (`sort_by`): by
 * objective the best comes first whatever the direction.
 */
import * as React from 'react';

import { IDescribeTuningJob, TrialSort, TrialStatus } from '../../api';
import { formatValue } from '../../format';
import { ITuningNav } from '../../tokens';
import { LinkButton } from '../common/controls';
import { StatusBadge } from '../common/StatusBadge';

/** Trial statuses coloured like the job statuses they resemble. */
const TRIAL_TONES: Record<TrialStatus, string> = {
  Running: 'InProgress',
  Completed: 'Completed',
  Failed: 'Failed',
  Pruned: 'Pruned',
  Stopped: 'Stopped'
};

export function TrialStatusBadge(props: { status: TrialStatus; title?: string }): JSX.Element {
  return (
    <span title={props.title}>
      <StatusBadge
        label={props.status}
        tone={`jp-studio-status-${TRIAL_TONES[props.status] ?? 'Queued'}`}
        status={props.status}
        testid="trial-status"
      />
    </span>
  );
}

export function Leaderboard(props: {
  nav: ITuningNav;
  job: IDescribeTuningJob;
  sortBy: TrialSort;
  onSort: (sortBy: TrialSort) => void;
}): JSX.Element {
  const { nav, job, sortBy, onSort } = props;
  const trans = nav.trans;
  const trials = job.trials ?? [];
  const names = Object.keys(job.parameter_ranges);
  const best = job.best_trial?.trial_number;
  const openJob = nav.openJob;
  const maximize = job.objective.type === 'Maximize';
  /** A header that sorts: first click the natural order (best objective first), then reversed. */
  const header = (key: 'trial_number' | 'status' | 'objective', label: string, testid: string) => {
    const active = sortBy.replace(/^-/, '') === key;
    const descending = sortBy.startsWith('-');
    // `objective` is best first: the values run downwards when higher is better.
    const valuesDown = key === 'objective' ? descending !== maximize : descending;
    const arrow = active ? (valuesDown ? ' ▼' : ' ▲') : '';
    return (
      <th
        className="jp-studio-sortable"
        data-testid={testid}
        data-sort={active ? (descending ? 'desc' : 'asc') : undefined}
        title={
          key === 'objective'
            ? trans.__('Sort by objective (best first, click again for worst first)')
            : trans.__('Sort by %1', label)
        }
        onClick={() => onSort(active && !descending ? `-${key}` : key)}
      >
        {label}
        {arrow}
      </th>
    );
  };
  if (!trials.length) {
    return (
      <div className="jp-studio-empty" data-testid="tuning-leaderboard-empty">
        {trans.__('No trial started yet.')}
      </div>
    );
  }
  return (
    <div className="jp-studio-table-scroll">
      <table className="jp-studio-table jp-studio-leaderboard" data-testid="tuning-leaderboard">
        <thead>
          <tr>
            {header('trial_number', trans.__('Trial'), 'leaderboard-sort-trial')}
            {header('status', trans.__('Status'), 'leaderboard-sort-status')}
            {header('objective', job.objective.metric, 'leaderboard-sort-objective')}
            {names.map(name => (
              <th key={name} data-param={name}>
                {name}
              </th>
            ))}
            <th>{trans.__('Job')}</th>
            <th title={trans.__('Intermediate values reported (what early stopping reads)')}>
              {trans.__('Steps')}
            </th>
          </tr>
        </thead>
        <tbody>
          {trials.map(trial => (
            <tr
              key={trial.trial_number}
              className={`jp-studio-trial-row${trial.trial_number === best ? ' jp-mod-selected' : ''}`}
              data-testid="trial-row"
              data-trial={trial.trial_number}
              data-status={trial.status}
              data-objective={trial.objective ?? ''}
              data-best={trial.trial_number === best ? 'true' : undefined}
            >
              <td className="jp-studio-num">
                {trial.trial_number}
                {trial.trial_number === best ? (
                  <span className="jp-studio-best-mark" title={trans.__('Best trial')}>
                    {' ★'}
                  </span>
                ) : null}
              </td>
              <td>
                <TrialStatusBadge
                  status={trial.status}
                  title={[trial.job_status, trial.status_reason].filter(Boolean).join(': ')}
                />
              </td>
              <td className="jp-studio-num" data-testid="trial-objective">
                {formatValue(trial.objective)}
              </td>
              {names.map(name => (
                <td key={name} className="jp-studio-num" data-param={name}>
                  {formatValue(trial.parameters[name])}
                </td>
              ))}
              <td>
                {trial.job_id && openJob ? (
                  <LinkButton
                    testid="trial-job"
                    title={trans.__('Open the trial job')}
                    onClick={() => openJob(trial.job_id as string)}
                  >
                    <code>{trial.job_id.slice(0, 8)}</code>
                  </LinkButton>
                ) : (
                  <code>{trial.job_id?.slice(0, 8) ?? '—'}</code>
                )}
              </td>
              <td className="jp-studio-num">{trial.steps}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
