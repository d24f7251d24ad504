/**
 * One endpoint in the main area: status, variants and replicas, the last deployment and the
 * previous configuration (Roll back), charts, test-invoke box, capture viewer, update with a
 * deployment policy, delete.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import {
  DeploymentPolicyType,
  EndpointsAPI,
  IDescribeEndpoint,
  IInvocationResult,
  parseModelUri,
  samplePayload
} from '../../endpointsApi';
import { formatTime } from '../../format';
import { MlflowAPI } from '../../mlflowApi';
import { ErrorBox } from '../common';
import { errorText, useRequest } from '../experiments/shared';
import { ModelTargetSelect } from './CreateEndpointForm';
import { EndpointCharts } from './EndpointCharts';
import {
  canRollBack,
  DeploymentProgressView,
  PreviousConfiguration,
  useRollback
} from './Rollback';
import { EndpointStatusBadge, IEndpointsNav, usePoll, VariantsTable } from './shared';

const DETAIL_POLL_MS = 2000;

/** The input example of the model behind `uri` (a version, or the version an alias points at). */
async function inputExample(uri: string): Promise<unknown> {
  const parsed = parseModelUri(uri);
  if (!parsed) {
    return null;
  }
  let version = parsed.version;
  if (!version && parsed.alias) {
    version = (await MlflowAPI.getModel(parsed.name)).aliases[parsed.alias];
  }
  return version ? (await MlflowAPI.getVersion(parsed.name, version)).input_example : null;
}

function TestInvokeBox(props: { nav: IEndpointsNav; endpoint: IDescribeEndpoint }): JSX.Element {
  const { nav, endpoint } = props;
  const trans = nav.trans;
  const model = endpoint.variants[0]?.model ?? '';
  const example = useRequest(() => inputExample(model), [model]);
  const [body, setBody] = React.useState<string | null>(null);
  const [contentType, setContentType] = React.useState('application/json');
  const [result, setResult] = React.useState<IInvocationResult | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const sample = samplePayload(example.data);
  const text = body ?? sample ?? '';
  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await EndpointsAPI.invoke(endpoint.name, text, contentType));
    } catch (reason) {
      setError(errorText(reason));
    } finally {
      setBusy(false);
    }
  };
  let shown = result?.body ?? '';
  try {
    shown = JSON.stringify(JSON.parse(shown), null, 2);
  } catch {
    // not JSON (CSV or a proxy's text): as it came
  }
  return (
    <div className="jp-studio-endpoint-test" data-testid="endpoint-test">
      <div className="jp-studio-actions">
        <select
          className="jp-mod-styled"
          data-testid="endpoint-test-content-type"
          value={contentType}
          onChange={event => setContentType(event.target.value)}
        >
          <option value="application/json">application/json</option>
          <option value="text/csv">text/csv</option>
        </select>
        <button
          className="jp-Button jp-mod-styled"
          data-testid="endpoint-test-sample"
          disabled={!sample}
          title={trans.__("A request built from the model version's input example")}
          onClick={() => {
            setBody(null);
            setContentType('application/json');
          }}
        >
          {trans.__('Sample payload')}
        </button>
      </div>
      <textarea
        className="jp-mod-styled jp-studio-endpoint-payload"
        data-testid="endpoint-test-body"
        spellCheck={false}
        rows={10}
        value={text}
        placeholder={
          example.loading
            ? trans.__('Loading the input example…')
            : trans.__('{"dataframe_split": {"columns": [...], "data": [[...]]}}')
        }
        onChange={event => setBody(event.target.value)}
      />
      <div className="jp-studio-actions">
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="endpoint-test-send"
          disabled={busy || !text.trim()}
          onClick={() => void send()}
        >
          {trans.__('Send')}
        </button>
        {result ? (
          <span
            className={result.status < 400 ? 'jp-studio-success' : 'jp-studio-muted'}
            data-testid="endpoint-test-status"
            data-status={result.status}
          >
            {`HTTP ${result.status}`}
            {result.variant ? ` · ${result.variant}` : ''} · {result.elapsedMs.toFixed(0)} ms
          </span>
        ) : null}
      </div>
      <ErrorBox message={error} />
      {result ? (
        <pre
          className={`jp-studio-json ${result.status >= 400 ? 'jp-studio-endpoint-response-error' : ''}`}
          data-testid="endpoint-test-response"
          data-status={result.status}
        >
          {shown}
        </pre>
      ) : null}
    </div>
  );
}

function CaptureViewer(props: { nav: IEndpointsNav; endpoint: IDescribeEndpoint }): JSX.Element {
  const { nav, endpoint } = props;
  const trans = nav.trans;
  const capture = useRequest(() => EndpointsAPI.capture(endpoint.name, 50), [endpoint.name]);
  const percent = endpoint.data_capture?.sampling_percent ?? 0;
  return (
    <div className="jp-studio-endpoint-capture" data-testid="endpoint-capture">
      <div className="jp-studio-actions">
        <span className="jp-studio-muted">
          {percent > 0
            ? trans.__(
                'Capturing %1% of requests (%2) in %3',
                percent,
                (endpoint.data_capture?.capture ?? []).join(', '),
                capture.data?.folder ?? ''
              )
            : trans.__('Data capture is off (set a sampling percentage below).')}
        </span>
        <button
          className="jp-Button jp-mod-styled"
          data-testid="endpoint-capture-refresh"
          onClick={capture.reload}
        >
          {trans.__('Refresh')}
        </button>
      </div>
      <ErrorBox message={capture.error} />
      {capture.data && capture.data.records.length ? (
        <table className="jp-studio-table jp-studio-capture-table">
          <thead>
            <tr>
              <th>{trans.__('Time')}</th>
              <th>{trans.__('Input')}</th>
              <th>{trans.__('Output')}</th>
              <th>{trans.__('File')}</th>
            </tr>
          </thead>
          <tbody>
            {capture.data.records.map((record, i) => (
              <tr key={i} data-testid="capture-record">
                <td>{new Date(record.time * 1000).toLocaleTimeString()}</td>
                <td>
                  <code title={record.input ?? ''}>{record.input ?? '—'}</code>
                </td>
                <td>
                  <code title={record.output ?? ''}>{record.output ?? '—'}</code>
                </td>
                <td className="jp-studio-muted">{record.file}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : capture.data ? (
        <div className="jp-studio-empty">{trans.__('No captured requests yet.')}</div>
      ) : null}
    </div>
  );
}

function UpdateForm(props: {
  nav: IEndpointsNav;
  endpoint: IDescribeEndpoint;
  onUpdated: () => void;
}): JSX.Element {
  const { nav, endpoint } = props;
  const trans = nav.trans;
  const variant = endpoint.variants[0];
  const parsed = parseModelUri(variant?.model ?? '');
  const [target, setTarget] = React.useState(variant?.model ?? '');
  const [count, setCount] = React.useState(variant?.instance_count ?? 1);
  const [policy, setPolicy] = React.useState<DeploymentPolicyType>('all_at_once');
  const [canaryPercent, setCanaryPercent] = React.useState(10);
  const [baking, setBaking] = React.useState(60);
  const [stepPercent, setStepPercent] = React.useState(25);
  const [stepSeconds, setStepSeconds] = React.useState(30);
  const [threshold, setThreshold] = React.useState(5);
  const [sampling, setSampling] = React.useState(endpoint.data_capture?.sampling_percent ?? 0);
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const [done, setDone] = React.useState(false);
  const submit = async () => {
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await EndpointsAPI.update(endpoint.name, {
        variants: [{ ...variant, model: target, instance_count: count }],
        data_capture: { sampling_percent: sampling, capture: ['input', 'output'] },
        deployment_policy: {
          type: policy,
          canary_percent: canaryPercent,
          baking_seconds: baking,
          step_percent: stepPercent,
          step_seconds: stepSeconds,
          error_rate_threshold: threshold / 100
        }
      });
      setDone(true);
      nav.endpointsChanged();
      props.onUpdated();
    } catch (reason) {
      setError(errorText(reason));
    } finally {
      setBusy(false);
    }
  };
  const number = (
    label: string,
    value: number,
    set: (n: number) => void,
    testid: string
  ): JSX.Element => (
    <label className="jp-studio-form-row">
      <span>{label}</span>
      <input
        className="jp-mod-styled"
        type="number"
        min={0}
        data-testid={testid}
        value={value}
        onChange={event => set(Number(event.target.value))}
      />
    </label>
  );
  return (
    <div className="jp-studio-form-box" data-testid="endpoint-update-form">
      <div className="jp-studio-form-pair">
        <label className="jp-studio-form-row">
          <span>{trans.__('Model version or alias')}</span>
          {parsed ? (
            <ModelTargetSelect
              model={parsed.name}
              value={target}
              onChange={setTarget}
              testid="endpoint-update-model"
            />
          ) : (
            <input
              className="jp-mod-styled"
              value={target}
              onChange={event => setTarget(event.target.value)}
            />
          )}
        </label>
        {number(trans.__('Instances'), count, setCount, 'endpoint-update-count')}
        {number(trans.__('Data capture %'), sampling, setSampling, 'endpoint-update-capture')}
      </div>
      <div className="jp-studio-form-pair">
        <label className="jp-studio-form-row">
          <span>{trans.__('Traffic shift')}</span>
          <select
            className="jp-mod-styled"
            data-testid="endpoint-update-policy"
            value={policy}
            onChange={event => setPolicy(event.target.value as DeploymentPolicyType)}
          >
            <option value="all_at_once">{trans.__('All at once (when healthy)')}</option>
            <option value="canary">{trans.__('Canary')}</option>
            <option value="linear">{trans.__('Linear')}</option>
          </select>
        </label>
        {policy === 'canary' ? (
          <>
            {number(trans.__('Canary %'), canaryPercent, setCanaryPercent, 'policy-canary')}
            {number(trans.__('Baking (s)'), baking, setBaking, 'policy-baking')}
          </>
        ) : null}
        {policy === 'linear' ? (
          <>
            {number(trans.__('Step %'), stepPercent, setStepPercent, 'policy-step')}
            {number(trans.__('Every (s)'), stepSeconds, setStepSeconds, 'policy-step-seconds')}
          </>
        ) : null}
        {policy !== 'all_at_once'
          ? number(trans.__('Roll back above 5xx %'), threshold, setThreshold, 'policy-threshold')
          : null}
      </div>
      <div className="jp-studio-muted">
        {policy === 'all_at_once'
          ? trans.__('New replicas start; traffic moves once all of them are healthy.')
          : trans.__(
              'If the new variant’s error rate passes the threshold while traffic shifts, the endpoint rolls back to the current configuration.'
            )}
      </div>
      <ErrorBox message={error} />
      <div className="jp-studio-actions">
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="endpoint-update-submit"
          disabled={busy || !target}
          onClick={() => void submit()}
        >
          {trans.__('Update')}
        </button>
        {done ? (
          <span className="jp-studio-success" data-testid="endpoint-updated">
            {trans.__('Update started')}
          </span>
        ) : null}
      </div>
    </div>
  );
}

export function EndpointDetail(props: {
  nav: IEndpointsNav;
  name: string;
  onDeleted: () => void;
}): JSX.Element {
  const { nav, name } = props;
  const trans = nav.trans;
  const root = React.useRef<HTMLDivElement>(null);
  const state = usePoll(() => EndpointsAPI.get(name), DETAIL_POLL_MS, root, [name]);
  const [deleteError, setDeleteError] = React.useState<string | null>(null);
  const endpoint = state.data;
  const rollback = useRollback(nav, endpoint, state.reload);
  const updating = endpoint?.status === 'Updating';
  const remove = async () => {
    const answer = await showDialog({
      title: trans.__('Delete endpoint %1?', name),
      body: trans.__('Its replicas stop and callers get 404. Captured data stays on disk.'),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Delete') })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await EndpointsAPI.remove(name);
      nav.endpointsChanged();
      props.onDeleted();
    } catch (reason) {
      setDeleteError(errorText(reason));
    }
  };
  return (
    <div
      className="jp-studio-EndpointDetail"
      ref={root}
      data-endpoint-name={name}
      data-status={endpoint?.status ?? ''}
      data-testid="endpoint-detail"
    >
      <div className="jp-studio-header">
        <h2 className="jp-studio-endpoint-title">{name}</h2>
        {endpoint ? <EndpointStatusBadge status={endpoint.status} /> : null}
        <span className="jp-studio-spacer" />
        {rollback.started ? (
          <span className="jp-studio-success" data-testid="endpoint-rollback-started">
            {trans.__('Rollback started')}
          </span>
        ) : null}
        <button
          className="jp-Button jp-mod-styled"
          data-testid="endpoint-rollback"
          disabled={!endpoint || !canRollBack(endpoint) || rollback.busy}
          title={
            updating
              ? trans.__('Stop this update: the previous replicas take all traffic at once')
              : endpoint?.previous_configuration
                ? trans.__('Deploy the previous configuration again')
                : trans.__('Nothing to roll back to yet')
          }
          onClick={() => void rollback.run()}
        >
          {updating ? trans.__('Abort update and roll back') : trans.__('Roll back')}
        </button>
        <button
          className="jp-Button jp-mod-styled jp-mod-warn"
          data-testid="endpoint-delete"
          onClick={() => void remove()}
        >
          {trans.__('Delete')}
        </button>
      </div>
      <ErrorBox message={state.error ?? deleteError} />
      {rollback.error ? (
        <div className="jp-studio-error" role="alert" data-testid="endpoint-rollback-error">
          {trans.__('Roll back refused: %1', rollback.error)}
        </div>
      ) : null}
      {endpoint ? (
        <>
          {endpoint.status_reason ? (
            <div
              className={`jp-studio-endpoint-reason-box jp-studio-endpoint-reason-${endpoint.status}`}
              data-testid="endpoint-detail-reason"
            >
              {endpoint.status_reason}
            </div>
          ) : null}
          <section className="jp-studio-section">
            <dl className="jp-studio-fields">
              <dt>{trans.__('Invoke')}</dt>
              <dd>
                <code data-testid="endpoint-invocation-url">
                  POST {endpoint.invocation_url || `/studio/endpoints/${name}/invocations`}
                </code>
              </dd>
              <dt>{trans.__('Generation')}</dt>
              <dd data-testid="endpoint-generation">{endpoint.generation}</dd>
              <dt>{trans.__('Created')}</dt>
              <dd>
                {formatTime(endpoint.created_at)}
                {endpoint.created_by ? ` ${trans.__('by %1', endpoint.created_by)}` : ''}
              </dd>
              <dt>{trans.__('Updated')}</dt>
              <dd>{formatTime(endpoint.updated_at)}</dd>
            </dl>
            <h3>{trans.__('Variants')}</h3>
            <VariantsTable
              nav={nav}
              variants={endpoint.variants}
              replicas={endpoint.replicas}
              testid="endpoint-variants"
              rowTestid="endpoint-variant"
            />
            {endpoint.replicas.length ? (
              <details className="jp-studio-endpoint-replicas">
                <summary>{trans.__('Replicas (%1)', endpoint.replicas.length)}</summary>
                <table className="jp-studio-table">
                  <thead>
                    <tr>
                      <th>{trans.__('Replica')}</th>
                      <th>{trans.__('Variant')}</th>
                      <th>{trans.__('Gen.')}</th>
                      <th>{trans.__('Version')}</th>
                      <th>{trans.__('Status')}</th>
                      <th>{trans.__('Port')}</th>
                      <th>{trans.__('Traffic')}</th>
                      <th>{trans.__('Restarts')}</th>
                      <th>{trans.__('Last error')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {endpoint.replicas.map(r => (
                      <tr
                        key={r.replica_id}
                        data-testid="endpoint-replica"
                        data-status={r.status}
                        data-variant={r.variant}
                        data-generation={r.generation}
                        data-version={r.model_version ?? ''}
                      >
                        <td>
                          <code>{r.replica_id.slice(0, 8)}</code>
                        </td>
                        <td>{r.variant}</td>
                        <td>{r.generation}</td>
                        <td data-testid="endpoint-replica-version">{r.model_version ?? '—'}</td>
                        <td>{r.status}</td>
                        <td>{r.port ?? '—'}</td>
                        <td>{`${Math.round(r.weight * 100)}%`}</td>
                        <td>{r.restarts}</td>
                        <td className="jp-studio-muted">{r.last_error ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </details>
            ) : null}
          </section>
          <section className="jp-studio-section jp-studio-endpoint-rollback-section">
            <h3>{trans.__('Last deployment')}</h3>
            <DeploymentProgressView nav={nav} deployment={endpoint.deployment ?? null} />
            <h3>{trans.__('Previous configuration (what Roll back deploys)')}</h3>
            <PreviousConfiguration nav={nav} endpoint={endpoint} />
          </section>
          <section className="jp-studio-section">
            <h3>{trans.__('Metrics')}</h3>
            <EndpointCharts nav={nav} name={name} />
          </section>
          <section className="jp-studio-section">
            <h3>{trans.__('Test')}</h3>
            <TestInvokeBox nav={nav} endpoint={endpoint} />
          </section>
          <section className="jp-studio-section">
            <h3>{trans.__('Data capture')}</h3>
            <CaptureViewer nav={nav} endpoint={endpoint} />
          </section>
          <section className="jp-studio-section">
            <h3>{trans.__('Update')}</h3>
            <UpdateForm nav={nav} endpoint={endpoint} onUpdated={state.reload} />
          </section>
        </>
      ) : null}
    </div>
  );
}
