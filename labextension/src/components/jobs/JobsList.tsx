/**
 * The Jobs list: filter bar and one row per job (name, status, progress, duration, instance, created).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { stopIcon, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IDescribeJob, isLive, JOB_STATUSES, JobStatus } from '../../api';
import { formatDuration, formatTime, jobDuration } from '../../format';
import { JobsModel } from '../../models/JobsModel';
import { ErrorBox } from '../common/ErrorBox';
import { IconButton, RefreshButton } from '../common/controls';
import { useDebounced } from '../common/hooks';
import { jobStatusLabel, JobStatusBadge } from '../common/StatusBadge';
import { ProgressBar } from './ProgressBar';

export interface IJobsListProps {
  model: JobsModel;
  trans: TranslationBundle;
  onOpen: (jobId: string) => void;
  onStop: (jobId: string) => void;
}

function FilterBar(props: { model: JobsModel; trans: TranslationBundle }): JSX.Element {
  const { model, trans } = props;
  const [name, setName] = React.useState(model.filter.name);
  // Debounced: a filter word costs one request, not one per key.
  const settled = useDebounced(name);
  React.useEffect(() => {
    if (settled !== model.filter.name) {
      model.setFilter({ name: settled });
    }
  }, [model, settled]);
  return (
    <div className="jp-studio-filter">
      <input
        className="jp-studio-filter-name jp-mod-styled"
        data-testid="jobs-filter-name"
        type="search"
        placeholder={trans.__('Filter by name')}
        value={name}
        onChange={event => setName(event.target.value)}
      />
      <select
        className="jp-studio-filter-status jp-mod-styled"
        data-testid="jobs-filter-status"
        value={model.filter.status}
        onChange={event => model.setFilter({ status: event.target.value as JobStatus | '' })}
      >
        <option value="">{trans.__('All statuses')}</option>
        {JOB_STATUSES.map(status => (
          <option key={status} value={status}>
            {jobStatusLabel(trans, status)}
          </option>
        ))}
      </select>
      <RefreshButton
        title={trans.__('Refresh')}
        testid="jobs-refresh"
        onClick={() => void model.refresh()}
      />
    </div>
  );
}

function JobRow(props: {
  job: IDescribeJob;
  selected: boolean;
  trans: TranslationBundle;
  onOpen: (jobId: string) => void;
  onStop: (jobId: string) => void;
}): JSX.Element {
  const { job, trans } = props;
  const live = isLive(job.status);
  const current =
    job.progress.current_cell !== null && live
      ? trans.__('cell %1: %2', job.progress.current_cell, job.progress.current_cell_source ?? '')
      : undefined;
  return (
    <li
      className={`jp-studio-job-row${props.selected ? ' jp-mod-selected' : ''}`}
      data-job-id={job.job_id}
      data-status={job.status}
      data-testid="job-row"
      tabIndex={0}
      title={job.status_reason ?? job.input}
      onClick={() => props.onOpen(job.job_id)}
      onKeyDown={event => {
        if (event.key === 'Enter') {
          props.onOpen(job.job_id);
        }
      }}
    >
      <div className="jp-studio-job-row-top">
        <span className="jp-studio-job-name">{job.name}</span>
        <JobStatusBadge status={job.status} trans={trans} />
        {live && job.status !== 'Stopping' ? (
          <IconButton
            icon={stopIcon}
            className="jp-studio-job-stop"
            title={trans.__('Stop job')}
            stopPropagation
            onClick={() => props.onStop(job.job_id)}
          />
        ) : null}
      </div>
      <ProgressBar progress={job.progress} status={job.status} title={current} />
      <div className="jp-studio-job-input" data-testid="job-row-input" title={job.input}>
        <span className="jp-studio-job-kind">{job.kind}</span> {job.input}
      </div>
      <div className="jp-studio-job-meta">
        <span className="jp-studio-job-instance" title={trans.__('Instance type')}>
          {job.instance_type}
        </span>
        <span className="jp-studio-job-duration" title={trans.__('Duration')}>
          {formatDuration(jobDuration(job))}
        </span>
        <span className="jp-studio-job-created" title={trans.__('Created')}>
          {formatTime(job.created_at)}
        </span>
      </div>
      {job.status === 'Failed' && job.status_reason ? (
        <div className="jp-studio-job-reason">{job.status_reason}</div>
      ) : null}
    </li>
  );
}

export function JobsList(props: IJobsListProps): JSX.Element {
  const { model, trans } = props;
  return (
    <div className="jp-studio-JobsList">
      <FilterBar model={model} trans={trans} />
      <UseSignal signal={model.changed}>
        {() => (
          <>
            <ErrorBox message={model.error} />
            {model.loaded && model.jobs.length === 0 && !model.error ? (
              <div className="jp-studio-empty" data-testid="jobs-empty">
                {model.filter.name || model.filter.status
                  ? trans.__('No job matches the filter.')
                  : trans.__(
                      'No jobs yet. Use "Run as job" on a notebook or a Python file to start one.'
                    )}
              </div>
            ) : null}
            <ul className="jp-studio-job-list" data-testid="jobs-list">
              {model.jobs.map(job => (
                <JobRow
                  key={job.job_id}
                  job={job}
                  selected={job.job_id === model.selectedId}
                  trans={trans}
                  onOpen={props.onOpen}
                  onStop={props.onStop}
                />
              ))}
            </ul>
            {model.truncated ? (
              <div className="jp-studio-empty" data-testid="jobs-truncated">
                {trans.__(
                  'Showing the newest %1 jobs; filter by name or status to find older ones.',
                  model.jobs.length
                )}
              </div>
            ) : null}
          </>
        )}
      </UseSignal>
    </div>
  );
}
