/**
 * The Schedules view: job definitions with pause/resume, edit cron, delete and their runs.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IDescribeJobDefinition, SchedulesAPI } from '../../api';
import { formatDuration, formatTime, jobDuration } from '../../format';
import { SchedulesModel } from '../../models/SchedulesModel';
import { RefreshButton } from '../common/controls';
import { ErrorBox } from '../common/ErrorBox';
import { useAction, useRequest } from '../common/hooks';
import { JobStatusBadge, StatusBadge } from '../common/StatusBadge';

/** How often an open runs list is read again (ms). */
const RUNS_POLL_MS = 5000;

export interface ISchedulesListProps {
  model: SchedulesModel;
  trans: TranslationBundle;
  onOpenJob: (jobId: string) => void;
}

function Runs(props: {
  definition: IDescribeJobDefinition;
  trans: TranslationBundle;
  onOpenJob: (jobId: string) => void;
}): JSX.Element {
  const { trans } = props;
  const id = props.definition.job_definition_id;
  const root = React.useRef<HTMLDivElement>(null);
  const answer = useRequest(() => SchedulesAPI.runs(id), [id], {
    poll: { interval: RUNS_POLL_MS, ref: root, name: `ScheduleRuns:${id}` }
  });
  const runs = answer.data?.items ?? null;
  return (
    <div className="jp-studio-schedule-runs" data-testid="schedule-runs" ref={root}>
      <ErrorBox message={answer.error} />
      {runs === null ? (
        <div className="jp-studio-empty">{trans.__('Loading runs…')}</div>
      ) : runs.length === 0 ? (
        <div className="jp-studio-empty">{trans.__('No runs yet.')}</div>
      ) : (
        <ul className="jp-studio-job-list">
          {runs.map(job => (
            <li
              key={job.job_id}
              className="jp-studio-job-row jp-studio-schedule-run"
              data-job-id={job.job_id}
              data-status={job.status}
              onClick={() => props.onOpenJob(job.job_id)}
            >
              <div className="jp-studio-job-row-top">
                <span className="jp-studio-job-created">{formatTime(job.created_at)}</span>
                <JobStatusBadge status={job.status} trans={trans} />
                <span className="jp-studio-job-duration">{formatDuration(jobDuration(job))}</span>
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ScheduleRow(props: {
  definition: IDescribeJobDefinition;
  model: SchedulesModel;
  trans: TranslationBundle;
  onOpenJob: (jobId: string) => void;
}): JSX.Element {
  const { definition, model, trans } = props;
  const [editing, setEditing] = React.useState(false);
  const [cron, setCron] = React.useState(definition.schedule);
  const [timezone, setTimezone] = React.useState(definition.timezone);
  const [showRuns, setShowRuns] = React.useState(false);
  const action = useAction();
  const busy = action.busy;
  const id = definition.job_definition_id;
  const togglePause = () => void action.run(() => model.update(id, { paused: !definition.paused }));
  const save = async () => {
    if (await action.run(() => model.update(id, { schedule: cron, timezone }))) {
      setEditing(false);
    }
  };
  const remove = async () => {
    const answer = await showDialog({
      title: trans.__('Delete schedule'),
      body: trans.__(
        'Delete the schedule "%1"? Jobs it already created are kept.',
        definition.name
      ),
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Delete') })]
    });
    if (answer.button.accept) {
      await action.run(() => model.remove(id));
    }
  };

  return (
    <li
      className={`jp-studio-schedule-row${definition.paused ? ' jp-mod-paused' : ''}`}
      data-definition-id={id}
      data-paused={String(definition.paused)}
      data-testid="schedule-row"
      data-runs-open={String(showRuns)}
      title={trans.__('Click to show or hide the jobs this schedule created')}
      onClick={event => {
        // A click on the card (not on its buttons and fields) opens its runs, like a job row.
        if (!editing && !(event.target as HTMLElement).closest('button, input, a, select')) {
          setShowRuns(!showRuns);
        }
      }}
    >
      <div className="jp-studio-job-row-top">
        <span className="jp-studio-job-name">{definition.name}</span>
        <StatusBadge
          label={definition.paused ? trans.__('Paused') : trans.__('Active')}
          tone={definition.paused ? 'jp-studio-status-Stopped' : 'jp-studio-status-InProgress'}
        />
      </div>
      {editing ? (
        <div className="jp-studio-schedule-edit">
          <input
            className="jp-mod-styled jp-studio-schedule-cron-input"
            aria-label={trans.__('Cron expression')}
            value={cron}
            onChange={e => setCron(e.target.value)}
          />
          <input
            className="jp-mod-styled jp-studio-schedule-tz-input"
            aria-label={trans.__('Timezone')}
            value={timezone}
            onChange={e => setTimezone(e.target.value)}
          />
          <button
            className="jp-mod-styled jp-mod-accept jp-Button"
            disabled={busy}
            onClick={() => void save()}
          >
            {trans.__('Save')}
          </button>
          <button
            className="jp-mod-styled jp-mod-reject jp-Button"
            onClick={() => {
              setEditing(false);
              setCron(definition.schedule);
              setTimezone(definition.timezone);
              action.setError(null);
            }}
          >
            {trans.__('Cancel')}
          </button>
        </div>
      ) : (
        <div className="jp-studio-job-meta">
          <code className="jp-studio-schedule-cron" title={trans.__('Cron expression')}>
            {definition.schedule}
          </code>
          <span title={trans.__('Timezone')}>{definition.timezone}</span>
          <span title={trans.__('Next run')}>
            {definition.paused
              ? trans.__('paused')
              : trans.__('next: %1', formatTime(definition.next_run_at) || '—')}
          </span>
        </div>
      )}
      <div className="jp-studio-job-meta">
        <span>{definition.job.input}</span>
        <span>{definition.job.instance_type}</span>
        <span>{trans.__('missed runs: %1', definition.missed_run_policy)}</span>
      </div>
      <ErrorBox message={action.error} />
      <div className="jp-studio-schedule-actions">
        <button className="jp-mod-styled jp-Button" disabled={busy} onClick={togglePause}>
          {definition.paused ? trans.__('Resume') : trans.__('Pause')}
        </button>
        <button
          className="jp-mod-styled jp-Button"
          disabled={busy}
          onClick={() => setEditing(true)}
        >
          {trans.__('Edit')}
        </button>
        <button className="jp-mod-styled jp-Button" onClick={() => setShowRuns(!showRuns)}>
          {showRuns ? trans.__('Hide runs') : trans.__('Runs')}
        </button>
        <button
          className="jp-mod-styled jp-mod-warn jp-Button"
          disabled={busy}
          onClick={() => void remove()}
        >
          {trans.__('Delete')}
        </button>
      </div>
      {showRuns ? <Runs definition={definition} trans={trans} onOpenJob={props.onOpenJob} /> : null}
    </li>
  );
}

export function SchedulesList(props: ISchedulesListProps): JSX.Element {
  const { model, trans } = props;
  return (
    <div className="jp-studio-SchedulesList">
      <div className="jp-studio-filter">
        <span className="jp-studio-filter-title">{trans.__('Job definitions')}</span>
        <RefreshButton title={trans.__('Refresh')} onClick={() => void model.refresh()} />
      </div>
      <UseSignal signal={model.changed}>
        {() => (
          <>
            <ErrorBox message={model.error} />
            {model.loaded && model.definitions.length === 0 && !model.error ? (
              <div className="jp-studio-empty" data-testid="schedules-empty">
                {trans.__('No schedules yet. Choose "Schedule" in the Run as job form to add one.')}
              </div>
            ) : null}
            <ul className="jp-studio-schedule-list" data-testid="schedules-list">
              {model.definitions.map(definition => (
                <ScheduleRow
                  key={definition.job_definition_id}
                  definition={definition}
                  model={model}
                  trans={trans}
                  onOpenJob={props.onOpenJob}
                />
              ))}
            </ul>
          </>
        )}
      </UseSignal>
    </div>
  );
}
