/**
 * The detail view of one job: status and reason, parameters, per-cell progress, outputs, live log.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IDescribeJob, IJobOutput, isLive, JobsAPI } from '../../api';
import { formatDuration, formatSize, formatTime, jobDuration } from '../../format';
import { JobDetailModel } from '../../models/JobDetailModel';
import { Field } from '../common/controls';
import { ErrorBox } from '../common/ErrorBox';
import { useAction } from '../common/hooks';
import { JobStatusBadge } from '../common/StatusBadge';
import { ProgressBar } from './ProgressBar';
import { TrainingSection } from './TrainingSection';

export interface IJobDetailProps {
  model: JobDetailModel;
  trans: TranslationBundle;
  /** MLflow UI link for a run, when the tracking server has a web UI (http URI). */
  mlflowRunUrl: (job: IDescribeJob) => string | null;
  /** Open the run in the studio's own run view (Experiments panel), when that plugin is there. */
  onOpenRun?: (job: IDescribeJob) => void;
  onStop: (job: IDescribeJob) => Promise<void>;
  onRerun: (job: IDescribeJob) => Promise<void>;
  onOpenOutput: (job: IDescribeJob, output: IJobOutput) => Promise<void>;
}

/** A <pre> that keeps the newest log line in view unless the user scrolled up to read. */
function LiveLog(props: {
  text: string;
  complete: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const ref = React.useRef<HTMLPreElement>(null);
  const stick = React.useRef(true);
  React.useLayoutEffect(() => {
    const node = ref.current;
    if (node && stick.current) {
      node.scrollTop = node.scrollHeight;
    }
  }, [props.text]);
  return (
    <pre
      ref={ref}
      className="jp-studio-log"
      data-testid="job-log"
      data-complete={String(props.complete)}
      onScroll={() => {
        const node = ref.current;
        if (node) {
          stick.current = node.scrollHeight - node.scrollTop - node.clientHeight < 24;
        }
      }}
    >
      {props.text || props.trans.__('(no log output yet)')}
    </pre>
  );
}

function Body(props: IJobDetailProps & { job: IDescribeJob }): JSX.Element {
  const { job, model, trans } = props;
  const action = useAction();
  const busy = action.busy;
  const act = (run: () => Promise<void>) => void action.run(run);
  const live = isLive(job.status);
  const mlflowUrl = props.mlflowRunUrl(job);
  const progress = job.progress;
  const params = Object.entries(job.parameters ?? {});
  return (
    <div className="jp-studio-JobDetail" data-job-id={job.job_id} data-status={job.status}>
      <div className="jp-studio-detail-header">
        <h2 className="jp-studio-detail-title">{job.name}</h2>
        <JobStatusBadge status={job.status} trans={trans} />
        <span className="jp-studio-spacer" />
        {live ? (
          <button
            className="jp-mod-styled jp-mod-warn jp-Button jp-studio-stop"
            data-testid="job-stop"
            disabled={busy || job.status === 'Stopping'}
            onClick={() => act(() => props.onStop(job))}
          >
            {job.status === 'Stopping' ? trans.__('Stopping…') : trans.__('Stop')}
          </button>
        ) : null}
        <button
          className="jp-mod-styled jp-mod-accept jp-Button jp-studio-rerun"
          data-testid="job-rerun"
          disabled={busy}
          onClick={() => act(() => props.onRerun(job))}
        >
          {trans.__('Rerun')}
        </button>
      </div>
      {job.status_reason ? (
        <div
          className={`jp-studio-reason jp-studio-reason-${job.status}`}
          data-testid="job-status-reason"
        >
          {job.status_reason}
        </div>
      ) : null}
      <ErrorBox message={action.error ?? model.error} />

      <section className="jp-studio-section">
        <h3>{trans.__('Progress')}</h3>
        <ProgressBar progress={progress} status={job.status} />
        {progress.cells_total > 0 ? (
          <div className="jp-studio-current-cell" data-testid="job-current-cell">
            {trans.__('%1 of %2 cells done', progress.cells_done, progress.cells_total)}
            {progress.current_cell !== null && live ? (
              <>
                {' · '}
                {trans.__('running cell %1', progress.current_cell)}
                {progress.current_cell_source ? (
                  <code className="jp-studio-cell-source">{progress.current_cell_source}</code>
                ) : null}
              </>
            ) : null}
          </div>
        ) : null}
      </section>

      <section className="jp-studio-section">
        <h3>{trans.__('Details')}</h3>
        <dl className="jp-studio-fields">
          <Field label={trans.__('Job ID')} testid="job-id">
            <code>{job.job_id}</code>
          </Field>
          <Field label={trans.__('Kind')}>{job.kind}</Field>
          <Field label={trans.__('Input')}>{job.input}</Field>
          <Field label={trans.__('Instance type')}>{job.instance_type}</Field>
          {job.instance_count > 1 ? (
            <Field label={trans.__('Instances')} testid="job-instance-count">
              {job.instance_count}
            </Field>
          ) : null}
          <Field label={trans.__('Attempt')}>
            {trans.__('%1 (max retries %2)', job.attempt, job.max_retries)}
          </Field>
          <Field label={trans.__('Timeout')}>{formatDuration(job.timeout_seconds)}</Field>
          <Field label={trans.__('Created')}>{formatTime(job.created_at)}</Field>
          {job.created_by ? <Field label={trans.__('Created by')}>{job.created_by}</Field> : null}
          <Field label={trans.__('Started')}>{formatTime(job.started_at) || '—'}</Field>
          <Field label={trans.__('Ended')}>{formatTime(job.ended_at) || '—'}</Field>
          <Field label={trans.__('Duration')}>{formatDuration(jobDuration(job)) || '—'}</Field>
          {job.exit_code !== null ? (
            <Field label={trans.__('Exit code')}>{job.exit_code}</Field>
          ) : null}
          <Field label={trans.__('Experiment')}>{job.experiment_name}</Field>
          <Field label={trans.__('MLflow run')} testid="job-mlflow-run">
            {job.mlflow_run_id ? (
              <span className="jp-studio-JobDetail-run">
                {props.onOpenRun ? (
                  <a
                    href="#"
                    data-testid="job-open-run"
                    onClick={event => {
                      event.preventDefault();
                      props.onOpenRun?.(job);
                    }}
                  >
                    {job.mlflow_run_id}
                  </a>
                ) : (
                  <code title={trans.__('MLflow run ID')}>{job.mlflow_run_id}</code>
                )}
                {mlflowUrl ? (
                  <>
                    {' · '}
                    <a href={mlflowUrl} target="_blank" rel="noopener noreferrer">
                      {trans.__('MLflow UI')}
                    </a>
                  </>
                ) : null}
              </span>
            ) : (
              '—'
            )}
          </Field>
          {job.job_definition_id ? (
            <Field label={trans.__('Schedule')}>
              <code>{job.job_definition_id}</code>
            </Field>
          ) : null}
        </dl>
      </section>

      <TrainingSection job={job} trans={trans} />

      <section className="jp-studio-section">
        <h3>{trans.__('Parameters')}</h3>
        {params.length === 0 ? (
          <div className="jp-studio-empty">{trans.__('No parameters.')}</div>
        ) : (
          <table className="jp-studio-params" data-testid="job-parameters">
            <tbody>
              {params.map(([key, value]) => (
                <tr key={key}>
                  <td>
                    <code>{key}</code>
                  </td>
                  <td>
                    <code>{JSON.stringify(value)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="jp-studio-section">
        <h3>{trans.__('Outputs')}</h3>
        {job.outputs.length === 0 ? (
          <div className="jp-studio-empty">{trans.__('No outputs yet.')}</div>
        ) : (
          <ul className="jp-studio-outputs" data-testid="job-outputs">
            {job.outputs.map(output => (
              <li key={output.name} className="jp-studio-output" data-name={output.name}>
                <span className="jp-studio-output-name">{output.name}</span>
                <span className="jp-studio-output-size">{formatSize(output.size)}</span>
                {output.kind === 'notebook' || output.kind === 'html' ? (
                  <button
                    className="jp-mod-styled jp-Button jp-studio-output-open"
                    onClick={() => act(() => props.onOpenOutput(job, output))}
                  >
                    {trans.__('Open')}
                  </button>
                ) : null}
                <a
                  className="jp-studio-output-download"
                  href={JobsAPI.outputUrl(job.job_id, output.name, true)}
                  download={output.name.split('/').pop()}
                >
                  {trans.__('Download')}
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="jp-studio-section jp-studio-log-section">
        <h3>{trans.__('Log')}</h3>
        <LiveLog text={model.log} complete={model.logComplete} trans={trans} />
      </section>
    </div>
  );
}

export function JobDetail(props: IJobDetailProps): JSX.Element {
  const { model, trans } = props;
  return (
    <UseSignal signal={model.changed}>
      {() =>
        model.job ? (
          <Body {...props} job={model.job} />
        ) : (
          <div className="jp-studio-JobDetail" data-job-id={model.jobId} data-status="">
            <ErrorBox message={model.error} />
            {model.error ? null : <div className="jp-studio-empty">{trans.__('Loading…')}</div>}
          </div>
        )
      }
    </UseSignal>
  );
}
