/**
 * One run: fields, its job and executed notebook, params, metrics, tags, an artifact browser and
 * "Register model" from an artifact folder.
 */
import * as React from 'react';

import { apiUrl, ExperimentsAPI, IDescribeRun, IModelVersionSummary, ModelsAPI } from '../../api';
import { formatDuration, formatSize, formatTime } from '../../format';
import { IMlflowNav } from '../../tokens';
import { Field, KeyValueTable, LinkButton, RefreshButton } from '../common/controls';
import { ErrorBox } from '../common/ErrorBox';
import { useAction, useOnChange, useRequest } from '../common/hooks';
import { RunStatusBadge } from '../common/StatusBadge';
import { runLabel } from './runs';

function baseName(path: string): string {
  return path.split('/').filter(Boolean).pop() ?? path;
}

/** Browse the run's artifact folders; files download through the artifacts route. */
function Artifacts(props: {
  nav: IMlflowNav;
  runId: string;
  onRegister: (path: string) => void;
}): JSX.Element {
  const { nav, runId } = props;
  const trans = nav.trans;
  const [path, setPath] = React.useState('');
  const listing = useRequest(() => ExperimentsAPI.listArtifacts(runId, path), [runId, path]);
  const parts = path.split('/').filter(Boolean);
  const items = listing.data?.items ?? [];
  const loggedModels = listing.data?.logged_models ?? [];
  return (
    <div className="jp-studio-artifacts" data-testid="run-artifacts" data-path={path}>
      <div className="jp-studio-breadcrumbs">
        <LinkButton onClick={() => setPath('')} testid="artifacts-root">
          {trans.__('artifacts')}
        </LinkButton>
        {parts.map((part, i) => (
          <React.Fragment key={i}>
            {' / '}
            <LinkButton onClick={() => setPath(parts.slice(0, i + 1).join('/'))}>{part}</LinkButton>
          </React.Fragment>
        ))}
      </div>
      <ErrorBox message={listing.error} />
      {!listing.loading && !listing.error && items.length === 0 && loggedModels.length === 0 ? (
        <div className="jp-studio-empty">{trans.__('No artifacts here.')}</div>
      ) : null}
      {loggedModels.length > 0 ? (
        <ul className="jp-studio-outputs" data-testid="logged-models">
          {loggedModels.map(model => (
            <li
              key={model.model_id}
              className="jp-studio-output jp-studio-artifact"
              data-testid="logged-model-row"
              title={model.artifact_uri ?? model.model_uri}
            >
              <span className="jp-studio-output-name">
                🧠 {model.name} <code>{model.model_uri}</code>
              </span>
              <button
                className="jp-Button jp-mod-styled jp-mod-reject"
                title={trans.__('Register this logged model as a model version')}
                onClick={() => props.onRegister(model.name)}
              >
                {trans.__('Register…')}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <ul className="jp-studio-outputs">
        {items.map(item => (
          <li
            key={item.path}
            className="jp-studio-output jp-studio-artifact"
            data-path={item.path}
            data-dir={String(item.is_dir)}
            data-testid="artifact-row"
          >
            {item.is_dir ? (
              <>
                <LinkButton onClick={() => setPath(item.path)} testid="artifact-folder">
                  📁 {baseName(item.path)}/
                </LinkButton>
                <button
                  className="jp-Button jp-mod-styled jp-mod-reject"
                  title={trans.__('Register this folder as a model version')}
                  onClick={() => props.onRegister(item.path)}
                >
                  {trans.__('Register…')}
                </button>
              </>
            ) : (
              <>
                <a
                  className="jp-studio-output-name"
                  href={ExperimentsAPI.artifactUrl(runId, item.path, true)}
                  download={baseName(item.path)}
                  data-testid="artifact-download"
                >
                  {baseName(item.path)}
                </a>
                <span className="jp-studio-output-size">
                  {item.file_size !== null ? formatSize(item.file_size) : ''}
                </span>
                <a
                  href={ExperimentsAPI.artifactUrl(runId, item.path, false)}
                  target="_blank"
                  rel="noopener noreferrer"
                >
                  {trans.__('view')}
                </a>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Register an artifact folder of this run as a new version of a (new or existing) model. */
function RegisterForm(props: {
  nav: IMlflowNav;
  run: IDescribeRun;
  artifactPath: string;
  onClose: () => void;
}): JSX.Element {
  const { nav, run } = props;
  const trans = nav.trans;
  const [artifactPath, setArtifactPath] = React.useState(props.artifactPath);
  const [name, setName] = React.useState('');
  const [description, setDescription] = React.useState('');
  const action = useAction();
  const [done, setDone] = React.useState<IModelVersionSummary | null>(null);
  useOnChange(props.artifactPath, setArtifactPath);
  const submit = () =>
    action.run(async () => {
      const version = await ModelsAPI.register({
        name: name.trim(),
        run_id: run.run_id,
        artifact_path: artifactPath.trim(),
        description: description.trim() || null
      });
      setDone(version);
      nav.modelsChanged();
    });
  return (
    <div className="jp-studio-form-box" data-testid="register-form">
      <h4>{trans.__('Register model')}</h4>
      <div className="jp-studio-form-pair">
        <label className="jp-studio-form-row">
          <span>{trans.__('Artifact path')}</span>
          <input
            className="jp-mod-styled"
            data-testid="register-artifact-path"
            value={artifactPath}
            placeholder="model"
            onChange={event => setArtifactPath(event.target.value)}
          />
        </label>
        <label className="jp-studio-form-row">
          <span>{trans.__('Model name')}</span>
          <input
            className="jp-mod-styled"
            data-testid="register-model-name"
            value={name}
            placeholder={trans.__('e.g. fraud-detector')}
            onChange={event => setName(event.target.value)}
          />
        </label>
      </div>
      <label className="jp-studio-form-row">
        <span>{trans.__('Description (optional)')}</span>
        <input
          className="jp-mod-styled"
          data-testid="register-description"
          value={description}
          onChange={event => setDescription(event.target.value)}
        />
      </label>
      <ErrorBox message={action.error} />
      {done ? (
        <div className="jp-studio-success" data-testid="register-done">
          {trans.__('Registered %1 version %2.', done.name, done.version)}{' '}
          <LinkButton onClick={() => nav.openModel(done.name, done.version)}>
            {trans.__('Open the model')}
          </LinkButton>
        </div>
      ) : null}
      <div className="jp-studio-actions">
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="register-submit"
          disabled={action.busy || !name.trim() || !artifactPath.trim()}
          onClick={() => void submit()}
        >
          {trans.__('Register')}
        </button>
        <button className="jp-Button jp-mod-styled jp-mod-reject" onClick={props.onClose}>
          {trans.__('Close')}
        </button>
      </div>
    </div>
  );
}

export function RunDetail(props: { nav: IMlflowNav; runId: string }): JSX.Element {
  const { nav, runId } = props;
  const trans = nav.trans;
  const state = useRequest(() => ExperimentsAPI.getRun(runId), [runId]);
  const [register, setRegister] = React.useState<string | null>(null);
  const run = state.data;
  return (
    <div
      className="jp-studio-RunDetail jp-studio-page"
      data-testid="run-detail"
      data-run-id={runId}
      data-status={run?.status}
    >
      <div className="jp-studio-detail-header">
        <h2 className="jp-studio-detail-title">
          {run ? runLabel(run) : trans.__('Run %1', runId.slice(0, 8))}
        </h2>
        {run ? <RunStatusBadge status={run.status} /> : null}
        <span className="jp-studio-spacer" />
        {run ? (
          <button
            className="jp-Button jp-mod-styled jp-mod-accept"
            data-testid="run-register-model"
            onClick={() => setRegister(register === null ? 'model' : null)}
          >
            {trans.__('Register model')}
          </button>
        ) : null}
        <RefreshButton title={trans.__('Refresh')} onClick={state.reload} />
      </div>
      <ErrorBox message={state.error} />
      {run && register !== null ? (
        <RegisterForm
          nav={nav}
          run={run}
          artifactPath={register}
          onClose={() => setRegister(null)}
        />
      ) : null}
      {run ? (
        <>
          <section className="jp-studio-section">
            <dl className="jp-studio-fields">
              <Field label={trans.__('Run ID')}>
                <code>{run.run_id}</code>
              </Field>
              <Field label={trans.__('Experiment')}>
                <LinkButton onClick={() => nav.openExperiment(run.experiment_id)}>
                  {run.experiment_id}
                </LinkButton>
              </Field>
              <Field label={trans.__('Started')}>{formatTime(run.start_time)}</Field>
              <Field label={trans.__('Duration')}>{formatDuration(run.duration_seconds)}</Field>
              {run.user_id ? <Field label={trans.__('User')}>{run.user_id}</Field> : null}
              <Field label={trans.__('Job')} testid="run-detail-job">
                {run.job_id ? (
                  <>
                    <LinkButton
                      onClick={() => nav.openJob(run.job_id!)}
                      testid="run-detail-job-link"
                    >
                      {run.job?.name ?? run.job_id}
                    </LinkButton>
                    {run.job ? <span className="jp-studio-muted"> ({run.job.status})</span> : null}
                  </>
                ) : (
                  <span className="jp-studio-muted">
                    {trans.__('not produced by a studio job')}
                  </span>
                )}
              </Field>
              {run.job && run.job_notebook ? (
                <Field label={trans.__('Executed notebook')} testid="run-detail-notebook">
                  <LinkButton onClick={() => nav.openJobNotebook(run.job!)}>
                    {trans.__('Open')}
                  </LinkButton>
                  {run.job_notebook_html ? (
                    <>
                      {' · '}
                      <a
                        href={apiUrl(run.job_notebook_html)}
                        target="_blank"
                        rel="noopener noreferrer"
                      >
                        {trans.__('HTML')}
                      </a>
                    </>
                  ) : null}
                </Field>
              ) : null}
              {run.reproduces_run_id || run.reproduces_job_id ? (
                <Field label={trans.__('Reproduces')}>
                  {run.reproduces_run_id ? (
                    <LinkButton onClick={() => nav.openRun(run.reproduces_run_id!)}>
                      {trans.__('run %1', run.reproduces_run_id.slice(0, 8))}
                    </LinkButton>
                  ) : null}{' '}
                  {run.reproduces_job_id ? (
                    <LinkButton onClick={() => nav.openJob(run.reproduces_job_id!)}>
                      {trans.__('job %1', run.reproduces_job_id.slice(0, 8))}
                    </LinkButton>
                  ) : null}
                </Field>
              ) : null}
              <Field label={trans.__('Artifact root')}>
                <code>{run.artifact_uri ?? ''}</code>
              </Field>
            </dl>
          </section>
          <div className="jp-studio-columns-2">
            <section className="jp-studio-section">
              <h3>{trans.__('Parameters')}</h3>
              <KeyValueTable
                values={run.params}
                empty={trans.__('No parameters.')}
                testid="run-params"
              />
            </section>
            <section className="jp-studio-section">
              <h3>{trans.__('Metrics (latest)')}</h3>
              <KeyValueTable
                values={run.metrics}
                empty={trans.__('No metrics.')}
                testid="run-metrics"
              />
            </section>
          </div>
          <section className="jp-studio-section">
            <h3>{trans.__('Artifacts')}</h3>
            <Artifacts nav={nav} runId={run.run_id} onRegister={path => setRegister(path)} />
          </section>
          <section className="jp-studio-section">
            <h3>{trans.__('Tags')}</h3>
            <KeyValueTable
              values={Object.fromEntries(
                Object.entries(run.tags).filter(([key]) => !key.startsWith('mlflow.log-model'))
              )}
              empty={trans.__('No tags.')}
              testid="run-tags"
            />
          </section>
        </>
      ) : null}
    </div>
  );
}
