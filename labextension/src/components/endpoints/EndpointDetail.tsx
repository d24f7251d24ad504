/**
 * One endpoint in the main area: status, variants and replicas, the last deployment and the
 * previous configuration (Roll back), charts, test-invoke box, capture viewer, update with a
 * deployment policy, delete.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { EndpointsAPI, errorMessage } from '../../api';
import { formatTime } from '../../format';
import { IEndpointsNav } from '../../tokens';
import { ErrorBox } from '../common/ErrorBox';
import { useRequest } from '../common/hooks';
import { EndpointStatusBadge } from '../common/StatusBadge';
import { CaptureViewer } from './CaptureViewer';
import { EndpointCharts } from './EndpointCharts';
import {
  canRollBack,
  DeploymentProgressView,
  PreviousConfiguration,
  useRollback
} from './Rollback';
import { TestInvokeBox } from './TestInvoke';
import { UpdateForm } from './UpdateForm';
import { VariantsTable } from './VariantsTable';

const DETAIL_POLL_MS = 2000;

export function EndpointDetail(props: {
  nav: IEndpointsNav;
  name: string;
  onDeleted: () => void;
}): JSX.Element {
  const { nav, name } = props;
  const trans = nav.trans;
  const root = React.useRef<HTMLDivElement>(null);
  const state = useRequest(() => EndpointsAPI.get(name), [name], {
    poll: { interval: DETAIL_POLL_MS, ref: root, name: `EndpointDetail:${name}` }
  });
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
      setDeleteError(errorMessage(reason));
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
      <ErrorBox
        message={rollback.error ? trans.__('Roll back refused: %1', rollback.error) : null}
        testid="endpoint-rollback-error"
      />
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
            <EndpointCharts nav={nav} name={name} createdAt={endpoint.created_at} />
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
