/**
 * Rollback in the endpoint view: the last deployment's progress, the previous configuration (what a
 * rollback deploys) and the Roll back action (POST .../rollback, confirmed first).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import {
  EndpointsAPI,
  IDeploymentProgress,
  IDescribeEndpoint,
  IEndpointConfiguration
} from '../../api';
import { formatTime } from '../../format';
import { IEndpointsNav } from '../../tokens';
import { useAction } from '../common/hooks';
import { VariantsTable } from './VariantsTable';

/** Roll back is possible: there is a configuration to return to, or an update to abort. */
export function canRollBack(endpoint: IDescribeEndpoint): boolean {
  if (endpoint.status === 'Creating' || endpoint.status === 'Deleting') {
    return false;
  }
  return endpoint.status === 'Updating' || !!endpoint.previous_configuration;
}

/** `primary: models:/m/1 (local.small × 1)`, one line per variant. */
function configurationLines(config: IEndpointConfiguration): string[] {
  return config.variants.map(
    v => `${v.name}: ${v.model} (${v.instance_type} × ${v.instance_count}, weight ${v.weight})`
  );
}

/**
 * The Roll back state of one view: ask, POST, and keep the server's refusal (a 409 names why) for
 * the view to show.
 */
export function useRollback(
  nav: IEndpointsNav,
  endpoint: IDescribeEndpoint | null,
  onDone: () => void
): { run: () => Promise<void>; busy: boolean; error: string | null; started: boolean } {
  const trans = nav.trans;
  const action = useAction();
  const [started, setStarted] = React.useState(false);
  const run = async () => {
    if (!endpoint) {
      return;
    }
    const updating = endpoint.status === 'Updating';
    const previous = endpoint.previous_configuration;
    const body = (
      <div className="jp-studio-rollback-dialog" data-testid="endpoint-rollback-dialog">
        <p>
          {updating
            ? trans.__(
                'The running update stops now: the replicas that served before it take all traffic again, and the new ones are drained.'
              )
            : trans.__(
                'The previous configuration is deployed as a new generation (all at once, when its replicas are healthy). The current one becomes the previous, so rolling back again rolls forward.'
              )}
        </p>
        {previous ? (
          <>
            <p>{trans.__('Goes back to:')}</p>
            <ul data-testid="endpoint-rollback-target">
              {configurationLines(previous).map(line => (
                <li key={line}>
                  <code>{line}</code>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </div>
    );
    const answer = await showDialog({
      title: updating
        ? trans.__('Abort the update of %1 and roll back?', endpoint.name)
        : trans.__('Roll back %1?', endpoint.name),
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({
          label: updating ? trans.__('Abort and roll back') : trans.__('Roll back')
        })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    setStarted(false);
    await action.run(async () => {
      await EndpointsAPI.rollback(endpoint.name);
      setStarted(true);
      nav.endpointsChanged();
      onDone();
    });
  };
  return { run, busy: action.busy, error: action.error, started };
}

/** The previous configuration's variants: what Roll back deploys. */
export function PreviousConfiguration(props: {
  nav: IEndpointsNav;
  endpoint: IDescribeEndpoint;
}): JSX.Element {
  const { nav, endpoint } = props;
  const trans = nav.trans;
  const previous = endpoint.previous_configuration;
  if (!previous) {
    return (
      <div className="jp-studio-muted" data-testid="endpoint-previous-none">
        {trans.__('No previous configuration: nothing to roll back to yet.')}
      </div>
    );
  }
  return (
    <div data-testid="endpoint-previous-configuration">
      <VariantsTable
        nav={nav}
        variants={previous.variants}
        testid="endpoint-previous-variants"
        rowTestid="endpoint-previous-variant"
      />
      <div className="jp-studio-muted">
        {previous.data_capture && previous.data_capture.sampling_percent > 0
          ? trans.__('Data capture: %1%', previous.data_capture.sampling_percent)
          : trans.__('Data capture: off')}
      </div>
    </div>
  );
}

/** In progress, Completed or Rolled back. */
function deploymentState(
  deployment: IDeploymentProgress
): 'InProgress' | 'Completed' | 'RolledBack' {
  if (deployment.rolled_back_at) {
    return 'RolledBack';
  }
  return deployment.completed_at ? 'Completed' : 'InProgress';
}

/** The last (or current) deployment: policy, who, traffic share on the new variants, how it ended. */
export function DeploymentProgressView(props: {
  nav: IEndpointsNav;
  deployment: IDeploymentProgress | null;
}): JSX.Element {
  const trans = props.nav.trans;
  const deployment = props.deployment;
  if (!deployment) {
    return (
      <div className="jp-studio-muted" data-testid="endpoint-deployment-none">
        {trans.__('No update yet: the endpoint serves the configuration it was created with.')}
      </div>
    );
  }
  const state = deploymentState(deployment);
  const share = deployment.share === null ? null : Math.round(deployment.share * 100);
  const stateLabel = {
    InProgress: trans.__('In progress'),
    Completed: trans.__('Completed'),
    RolledBack: trans.__('Rolled back')
  }[state];
  const typeLabel =
    {
      all_at_once: trans.__('All at once'),
      canary: trans.__('Canary'),
      linear: trans.__('Linear')
    }[deployment.type] ?? deployment.type;
  return (
    <div
      className="jp-studio-endpoint-deployment"
      data-testid="endpoint-deployment"
      data-state={state}
      data-type={deployment.type}
      data-rollback={String(deployment.rollback)}
      data-share={share ?? ''}
    >
      <dl className="jp-studio-fields">
        <dt>{trans.__('Update')}</dt>
        <dd>
          <span className={`jp-studio-deployment-state jp-studio-deployment-${state}`}>
            {stateLabel}
          </span>{' '}
          {typeLabel}
          {deployment.rollback ? (
            <span className="jp-studio-chip" data-testid="endpoint-deployment-rollback">
              {trans.__('rollback')}
            </span>
          ) : null}
          {deployment.by ? ` · ${trans.__('by %1', deployment.by)}` : ''}
        </dd>
        <dt>{trans.__('Traffic on the new variants')}</dt>
        <dd data-testid="endpoint-deployment-share">
          {share === null ? (
            '—'
          ) : (
            <span className="jp-studio-deployment-share">
              <span className="jp-studio-deployment-share-track">
                <span
                  className="jp-studio-deployment-share-fill"
                  style={{ width: `${Math.min(100, Math.max(0, share))}%` }}
                />
              </span>
              {`${share}%`}
            </span>
          )}
        </dd>
        <dt>{trans.__('Started')}</dt>
        <dd>{formatTime(deployment.started_at) || '—'}</dd>
        {deployment.completed_at ? (
          <>
            <dt>{trans.__('Completed')}</dt>
            <dd>{formatTime(deployment.completed_at)}</dd>
          </>
        ) : null}
        {deployment.rolled_back_at ? (
          <>
            <dt>{trans.__('Rolled back')}</dt>
            <dd>{formatTime(deployment.rolled_back_at)}</dd>
          </>
        ) : null}
        {deployment.rollback_reason ? (
          <>
            <dt>{trans.__('Reason')}</dt>
            <dd data-testid="endpoint-deployment-reason">{deployment.rollback_reason}</dd>
          </>
        ) : null}
      </dl>
    </div>
  );
}
