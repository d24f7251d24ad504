/**
 * The create form: a model version or alias from the registry, instance type and count, capture.
 */
import * as React from 'react';

import { EndpointsAPI, InstanceTypesAPI, ModelsAPI } from '../../api';
import { IEndpointsNav } from '../../tokens';
import { ErrorBox } from '../common/ErrorBox';
import { useAction, useRequest } from '../common/hooks';

/** A valid endpoint name (letters, digits, dashes) derived from a model name and version. */
export function defaultEndpointName(model: string, version?: string): string {
  const base = `${model}${version ? `-v${version}` : ''}`
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return base || 'endpoint';
}

/** The model's versions and aliases as `models:/` URIs a variant accepts. */
export function ModelTargetSelect(props: {
  model: string;
  value: string;
  onChange: (uri: string) => void;
  testid: string;
}): JSX.Element {
  const detail = useRequest(
    () => (props.model ? ModelsAPI.get(props.model) : Promise.resolve(null)),
    [props.model]
  );
  const versions = detail.data?.versions ?? [];
  const aliases = Object.entries(detail.data?.aliases ?? {}).sort(([a], [b]) => a.localeCompare(b));
  // Keep the choice valid: the first version once the list arrives.
  React.useEffect(() => {
    if (detail.data && !props.value && detail.data.versions.length) {
      props.onChange(`models:/${props.model}/${detail.data.versions[0].version}`);
    }
    // Once per answer, with that render's value: a stale answer must not pick for another model.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [detail.data]);
  return (
    <>
      <select
        className="jp-mod-styled"
        data-testid={props.testid}
        value={props.value}
        onChange={event => props.onChange(event.target.value)}
      >
        {props.value && !detail.data ? <option value={props.value}>{props.value}</option> : null}
        {versions.map(v => (
          <option key={v.version} value={`models:/${props.model}/${v.version}`}>
            {`v${v.version}${v.aliases.length ? ` (${v.aliases.map(a => `@${a}`).join(', ')})` : ''}`}
          </option>
        ))}
        {aliases.map(([alias, version]) => (
          <option key={alias} value={`models:/${props.model}@${alias}`}>
            {`@${alias} → v${version} (follows the alias)`}
          </option>
        ))}
      </select>
      <ErrorBox message={detail.error} />
    </>
  );
}

export function CreateEndpointForm(props: {
  nav: IEndpointsNav;
  prefill: { model: string; version?: string } | null;
  onDone: () => void;
}): JSX.Element {
  const { nav, prefill } = props;
  const trans = nav.trans;
  const models = useRequest(() => ModelsAPI.list({ max_items: 500 }), []);
  const types = useRequest(() => InstanceTypesAPI.list(), []);
  const [chosenModel, setModel] = React.useState(prefill?.model ?? '');
  // Until one is chosen: the first registered model.
  const model = chosenModel || models.data?.items[0]?.name || '';
  const [target, setTarget] = React.useState(
    prefill?.version ? `models:/${prefill.model}/${prefill.version}` : ''
  );
  const [name, setName] = React.useState(
    prefill ? defaultEndpointName(prefill.model, prefill.version) : ''
  );
  const [instanceType, setInstanceType] = React.useState('local.small');
  const [count, setCount] = React.useState(1);
  const [sampling, setSampling] = React.useState(0);
  const action = useAction();
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const created = await EndpointsAPI.create({
        name: name.trim(),
        variants: [
          {
            name: 'primary',
            model: target,
            instance_type: instanceType,
            instance_count: count,
            weight: 1
          }
        ],
        data_capture:
          sampling > 0 ? { sampling_percent: sampling, capture: ['input', 'output'] } : null
      });
      nav.endpointsChanged();
      nav.openEndpoint(created.name);
      props.onDone();
    });
  };
  return (
    <form
      className="jp-studio-form-box jp-studio-CreateEndpointForm"
      data-testid="endpoint-create-form"
      onSubmit={submit}
    >
      <h4>{trans.__('New endpoint')}</h4>
      <label className="jp-studio-form-row">
        <span>{trans.__('Name')}</span>
        <input
          className="jp-mod-styled"
          data-testid="endpoint-name"
          value={name}
          placeholder="churn-prod"
          onChange={event => setName(event.target.value)}
        />
      </label>
      <label className="jp-studio-form-row">
        <span>{trans.__('Registered model')}</span>
        <select
          className="jp-mod-styled"
          data-testid="endpoint-model"
          value={model}
          onChange={event => {
            setModel(event.target.value);
            setTarget('');
            if (!name) {
              setName(defaultEndpointName(event.target.value));
            }
          }}
        >
          {model && !models.data?.items.some(m => m.name === model) ? (
            <option value={model}>{model}</option>
          ) : null}
          {(models.data?.items ?? []).map(m => (
            <option key={m.name} value={m.name}>
              {m.name}
            </option>
          ))}
        </select>
      </label>
      <label className="jp-studio-form-row">
        <span>{trans.__('Version or alias')}</span>
        <ModelTargetSelect
          model={model}
          value={target}
          onChange={setTarget}
          testid="endpoint-model-version"
        />
      </label>
      <label className="jp-studio-form-row">
        <span>{trans.__('Instance type')}</span>
        <select
          className="jp-mod-styled"
          data-testid="endpoint-instance-type"
          value={instanceType}
          onChange={event => setInstanceType(event.target.value)}
        >
          {(types.data?.items ?? [{ name: 'local.small', description: '' }]).map(t => (
            <option key={t.name} value={t.name} title={t.description}>
              {t.description ? `${t.name} (${t.description})` : t.name}
            </option>
          ))}
        </select>
      </label>
      <div className="jp-studio-form-pair">
        <label className="jp-studio-form-row">
          <span>{trans.__('Instances')}</span>
          <input
            className="jp-mod-styled"
            data-testid="endpoint-instance-count"
            type="number"
            min={1}
            max={16}
            value={count}
            onChange={event => setCount(Number(event.target.value))}
          />
        </label>
        <label className="jp-studio-form-row">
          <span>{trans.__('Data capture %')}</span>
          <input
            className="jp-mod-styled"
            data-testid="endpoint-capture-percent"
            type="number"
            min={0}
            max={100}
            value={sampling}
            onChange={event => setSampling(Number(event.target.value))}
          />
        </label>
      </div>
      <ErrorBox message={action.error ?? models.error ?? types.error} />
      <div className="jp-studio-actions">
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="endpoint-create-submit"
          disabled={action.busy || !name.trim() || !target}
        >
          {trans.__('Deploy')}
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject"
          data-testid="endpoint-create-cancel"
          onClick={props.onDone}
        >
          {trans.__('Cancel')}
        </button>
      </div>
    </form>
  );
}
