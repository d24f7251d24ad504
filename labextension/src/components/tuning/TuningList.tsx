/**
 * The Tuning sidebar: tuning jobs with live status and trial counts (polled while shown); + opens
 * the create form in the main area (it is too wide for a sidebar).
 */
import { addIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IDescribeTuningJob, TuningAPI } from '../../api';
import { formatTime, formatValue } from '../../format';
import { ITuningNav } from '../../tokens';
import { IconButton } from '../common/controls';
import { useRequest } from '../common/hooks';
import { ResourceList } from '../common/ResourceList';
import { JobStatusBadge } from '../common/StatusBadge';

const LIST_POLL_MS = 3000;

/** "3/10 trials · 2 running · 1 failed": the counts that are not zero. */
export function countsText(nav: ITuningNav, job: IDescribeTuningJob): string {
  const { trans } = nav;
  const c = job.counts;
  const parts = [trans.__('%1/%2 trials', c.completed, job.max_trials)];
  if (c.running) {
    parts.push(trans.__('%1 running', c.running));
  }
  if (c.pruned) {
    parts.push(trans.__('%1 pruned', c.pruned));
  }
  if (c.failed) {
    parts.push(trans.__('%1 failed', c.failed));
  }
  if (c.stopped) {
    parts.push(trans.__('%1 stopped', c.stopped));
  }
  return parts.join(' · ');
}

export function TuningList(props: { nav: ITuningNav; refreshKey: number }): JSX.Element {
  const { nav } = props;
  const trans = nav.trans;
  const root = React.useRef<HTMLDivElement>(null);
  const jobs = useRequest(() => TuningAPI.list(), [], {
    refreshKey: props.refreshKey,
    poll: { interval: LIST_POLL_MS, ref: root, name: 'TuningList' }
  });
  return (
    <ResourceList
      root={root}
      trans={trans}
      title={trans.__('Tuning jobs')}
      kind="tuning"
      error={jobs.error}
      loading={jobs.loading}
      empty={trans.__('No tuning jobs yet. Start one with +.')}
      onRefresh={jobs.reload}
      actions={
        <IconButton
          icon={addIcon}
          title={trans.__('New tuning job')}
          testid="tuning-new"
          onClick={() => nav.openCreateForm()}
        />
      }
      rows={(jobs.data?.items ?? []).map(job => ({
        key: job.tuning_job_id,
        className: 'jp-studio-tuning-row',
        data: {
          'tuning-job-id': job.tuning_job_id,
          name: job.name,
          status: job.status,
          completed: String(job.counts.completed)
        },
        testid: 'tuning-row',
        name: job.name,
        aside: <JobStatusBadge status={job.status} trans={trans} />,
        meta: (
          <>
            <span data-testid="tuning-row-counts">{countsText(nav, job)}</span>
            {job.best_trial?.objective !== null && job.best_trial?.objective !== undefined ? (
              <span className="jp-studio-chip" data-testid="tuning-row-best">
                {`${job.objective.metric} ${formatValue(job.best_trial.objective)}`}
              </span>
            ) : null}
            <span title={trans.__('Created')}>{formatTime(job.created_at)}</span>
          </>
        ),
        footer: job.status_reason ? (
          <div className="jp-studio-endpoint-reason" title={job.status_reason}>
            {job.status_reason}
          </div>
        ) : null,
        onOpen: () => nav.openTuningJob(job.tuning_job_id, job.name)
      }))}
    />
  );
}
