/**
 * The endpoint view's update form: model version or alias, instances, capture, deployment policy.
 */
import * as React from 'react';

import { DeploymentPolicyType, EndpointsAPI, IDescribeEndpoint, parseModelUri } from '../../api';
import { IEndpointsNav } from '../../tokens';
import { ErrorBox } from '../common/ErrorBox';
import { useAction } from '../common/hooks';
import { ModelTargetSelect } from './CreateEndpointForm';

export function UpdateForm(props: {
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
  const action = useAction();
  const [done, setDone] = React.useState(false);
  const submit = () => {
    setDone(false);
    return action.run(async () => {
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
    });
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
      <ErrorBox message={action.error} />
      <div className="jp-studio-actions">
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="endpoint-update-submit"
          disabled={action.busy || !target}
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
