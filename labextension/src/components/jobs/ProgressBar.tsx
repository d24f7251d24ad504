/**
 * A job's progress bar: cells done of cells total for a notebook, full once the job completed.
 */
import * as React from 'react';

import { IJobProgress, JobStatus } from '../../api';

export function ProgressBar(props: {
  progress: IJobProgress;
  status: JobStatus;
  title?: string;
}): JSX.Element {
  const { progress, status } = props;
  let percent = progress.percent;
  if (percent === null || percent === undefined) {
    percent = progress.cells_total > 0 ? (100 * progress.cells_done) / progress.cells_total : 0;
  }
  if (status === 'Completed') {
    percent = 100;
  }
  const label =
    progress.cells_total > 0
      ? `${progress.cells_done}/${progress.cells_total}`
      : status === 'Completed'
        ? '100%'
        : '';
  return (
    <div
      className="jp-studio-progress"
      title={props.title ?? label}
      data-testid="job-progress"
      data-done={progress.cells_done}
      data-total={progress.cells_total}
    >
      <div className="jp-studio-progress-track">
        <div
          className={`jp-studio-progress-fill jp-studio-progress-${status}`}
          style={{ width: `${Math.min(100, Math.max(0, percent))}%` }}
        />
      </div>
      <span className="jp-studio-progress-label">{label}</span>
    </div>
  );
}
