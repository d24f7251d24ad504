/**
 * The status badge, and its three spellings: job (translated), MLflow run, endpoint statuses.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { EndpointStatus, JobStatus } from '../../api';

/** A coloured status chip: `tone` picks the colour class (`jp-studio-status-<tone>`). */
export function StatusBadge(props: {
  label: string;
  /** The colour class after `jp-studio-status` (e.g. `jp-studio-status-Failed`). */
  tone: string;
  /** The status as the server spells it, for `data-status` (omitted: no attribute). */
  status?: string;
  testid?: string;
}): JSX.Element {
  return (
    <span
      className={`jp-studio-status ${props.tone}`}
      data-status={props.status}
      data-testid={props.testid}
    >
      {props.label}
    </span>
  );
}

/** Human label of a job status (translated; `InProgress` reads "In progress"). */
export function jobStatusLabel(trans: TranslationBundle, status: JobStatus): string {
  switch (status) {
    case 'Queued':
      return trans.__('Queued');
    case 'Starting':
      return trans.__('Starting');
    case 'InProgress':
      return trans.__('In progress');
    case 'Completed':
      return trans.__('Completed');
    case 'Failed':
      return trans.__('Failed');
    case 'Stopping':
      return trans.__('Stopping');
    case 'Stopped':
      return trans.__('Stopped');
  }
  return status;
}

export function JobStatusBadge(props: {
  status: JobStatus;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <StatusBadge
      label={jobStatusLabel(props.trans, props.status)}
      tone={`jp-studio-status-${props.status}`}
      status={props.status}
      testid="job-status"
    />
  );
}

/** MLflow run statuses, coloured like the job statuses they resemble. */
const RUN_TONES: Record<string, JobStatus> = {
  RUNNING: 'InProgress',
  SCHEDULED: 'Queued',
  FINISHED: 'Completed',
  FAILED: 'Failed',
  KILLED: 'Stopped'
};

export function RunStatusBadge(props: { status: string }): JSX.Element {
  return (
    <StatusBadge
      label={props.status}
      tone={`jp-studio-status-${RUN_TONES[props.status] ?? 'Queued'}`}
      status={props.status}
    />
  );
}

export function EndpointStatusBadge(props: { status: EndpointStatus }): JSX.Element {
  return (
    <StatusBadge
      label={props.status}
      tone={`jp-studio-endpoint-status-${props.status}`}
      status={props.status}
      testid="endpoint-status"
    />
  );
}
