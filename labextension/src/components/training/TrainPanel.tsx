/**
 * The Train panel: the built-in algorithm catalog by use case, and a training form made from the
 * chosen algorithm's JSON Schema (defaults, ranges, validation as you type), its channels (paths
 * under the server root, or the file browser's selection, each previewed as the training reads it),
 * instance type and count, checkpointing and the model name to register. Submitting opens the job,
 * whose view charts the metrics per epoch.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { AlgorithmsAPI, IAlgorithmSpec, InstanceTypesAPI, JobsAPI } from '../../api';
import { ErrorBox } from '../common/ErrorBox';
import { useAction, useRequest } from '../common/hooks';
import { ChannelPreview } from './ChannelPreview';
import { changedValues, fieldSpecs, IFieldSpec, problemOf, textOf } from './hyperparameters';

export interface ITrainNav {
  trans: TranslationBundle;
  openJob(jobId: string): void;
  /** The path (relative to the server root) selected in the file browser, if any. */
  selectedPath(): string | null;
}

const USE_CASES = [
  'predictive',
  'image',
  'nlp',
  'recommendation',
  'anomaly',
  'time-series',
  'unsupervised'
];

export function TrainPanel(props: { nav: ITrainNav; refreshKey: number }): JSX.Element {
  const { nav } = props;
  const trans = nav.trans;
  const catalog = useRequest(() => AlgorithmsAPI.list(), [], { refreshKey: props.refreshKey });
  const [chosen, setChosen] = React.useState<string | null>(null);
  const algorithms = catalog.data?.items ?? [];
  const algorithm = algorithms.find(a => a.name === chosen) ?? null;
  const cases = [
    ...USE_CASES,
    ...algorithms.map(a => a.use_case).filter(c => !USE_CASES.includes(c))
  ];
  return (
    <div className="jp-studio-TrainPanel" data-testid="train-panel">
      <div className="jp-studio-toolbar">
        <h3>{trans.__('Train')}</h3>
      </div>
      <ErrorBox message={catalog.error} />
      {algorithm ? (
        <TrainForm
          key={algorithm.name}
          nav={nav}
          algorithm={algorithm}
          onBack={() => setChosen(null)}
        />
      ) : (
        <div className="jp-studio-catalog" data-testid="algorithm-catalog">
          {cases
            .filter(c => algorithms.some(a => a.use_case === c))
            .map(useCase => (
              <section key={useCase} className="jp-studio-section">
                <h4>{useCase}</h4>
                <ul className="jp-studio-algorithm-list">
                  {algorithms
                    .filter(a => a.use_case === useCase)
                    .map(a => (
                      <li key={a.name}>
                        <button
                          className="jp-studio-algorithm"
                          data-testid="algorithm"
                          data-name={a.name}
                          title={a.description}
                          onClick={() => setChosen(a.name)}
                        >
                          <strong>{a.title}</strong>
                          <span className="jp-studio-algorithm-name">{a.name}</span>
                          <span className="jp-studio-algorithm-problems">
                            {a.problem_types.join(', ')}
                            {a.supports_gpu ? ' · GPU' : ''}
                          </span>
                        </button>
                      </li>
                    ))}
                </ul>
              </section>
            ))}
        </div>
      )}
    </div>
  );
}

function HyperparameterInput(props: {
  field: IFieldSpec;
  text: string;
  onChange: (text: string) => void;
}): JSX.Element {
  const { field, text, onChange } = props;
  const testid = `hp-${field.name}`;
  if (field.kind === 'boolean' || field.kind === 'enum') {
    // An optional boolean without a default ("auto": the algorithm decides) offers an empty choice.
    const auto = field.kind === 'boolean' && field.optional && field.defaultText === '';
    const choices =
      field.kind === 'boolean'
        ? [...(auto ? [''] : []), 'true', 'false']
        : field.choices.map(String);
    return (
      <select
        className="jp-mod-styled"
        data-testid={testid}
        value={text}
        onChange={event => onChange(event.target.value)}
      >
        {choices.map(choice => (
          <option key={choice} value={choice}>
            {choice === '' ? 'auto' : choice}
          </option>
        ))}
      </select>
    );
  }
  return (
    <input
      className="jp-mod-styled"
      data-testid={testid}
      value={text}
      placeholder={field.optional && field.defaultText === '' ? 'default' : ''}
      inputMode={field.kind === 'integer' || field.kind === 'number' ? 'decimal' : undefined}
      onChange={event => onChange(event.target.value)}
    />
  );
}

function TrainForm(props: {
  nav: ITrainNav;
  algorithm: IAlgorithmSpec;
  onBack: () => void;
}): JSX.Element {
  const { nav, algorithm } = props;
  const trans = nav.trans;
  const fields = React.useMemo(
    () => fieldSpecs(algorithm.hyperparameters.properties ?? {}),
    [algorithm]
  );
  const [texts, setTexts] = React.useState<Record<string, string>>(() =>
    Object.fromEntries(fields.map(f => [f.name, f.defaultText]))
  );
  const [channels, setChannels] = React.useState<Record<string, string>>({});
  const [label, setLabel] = React.useState('');
  const types = useRequest(() => InstanceTypesAPI.list(), []);
  const [instanceType, setInstanceType] = React.useState('local.small');
  const [instanceCount, setInstanceCount] = React.useState('1');
  const [checkpoint, setCheckpoint] = React.useState(false);
  const [retries, setRetries] = React.useState(0);
  const [registerAs, setRegisterAs] = React.useState('');
  const action = useAction();
  const problems = Object.fromEntries(fields.map(f => [f.name, problemOf(f, texts[f.name] ?? '')]));
  const missing = algorithm.channels.filter(c => c.required && !(channels[c.name] ?? '').trim());
  // Several instances only for an algorithm that trains as a torch.distributed group, and no more
  // than the instance type runs at once (the server says the same with a 400).
  const distributed = algorithm.supports_distributed;
  const maxInstances = types.data?.items.find(t => t.name === instanceType)?.max_concurrent ?? 1;
  const count = distributed ? Number(instanceCount) : 1;
  const countProblem =
    Number.isInteger(count) && count >= 1 && count <= maxInstances && instanceCount.trim() !== ''
      ? null
      : trans.__('instance_count: must be an integer in [1, %1] on %2', maxInstances, instanceType);
  const invalid =
    Object.values(problems).some(p => p !== null) || missing.length > 0 || countProblem !== null;
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const given = Object.entries(channels).filter(([, path]) => path.trim());
      const created = await JobsAPI.create({
        kind: 'algorithm',
        algorithm: algorithm.name,
        hyperparameters: changedValues(fields, texts),
        channels: Object.fromEntries(
          given.map(([name, path]) => [
            name,
            label.trim() ? { path: path.trim(), label: label.trim() } : path.trim()
          ])
        ),
        instance_type: instanceType,
        instance_count: count,
        checkpoint,
        max_retries: retries,
        register_as: registerAs.trim() || null
      });
      nav.openJob(created.job_id);
    });
  };
  return (
    <form
      className="jp-studio-form-box jp-studio-TrainForm"
      data-testid="train-form"
      data-algorithm={algorithm.name}
      onSubmit={submit}
    >
      <h4>{algorithm.title}</h4>
      <p className="jp-studio-hint">{algorithm.description}</p>
      <h5>{trans.__('Data')}</h5>
      {algorithm.channels.map(channel => (
        <React.Fragment key={channel.name}>
          <label className="jp-studio-form-row" title={channel.description}>
            <span>
              {channel.name}
              {channel.required ? ' *' : ''}
            </span>
            <span className="jp-studio-form-inline">
              <input
                className="jp-mod-styled"
                data-testid={`channel-${channel.name}`}
                value={channels[channel.name] ?? ''}
                placeholder={trans.__('path under the server root')}
                onChange={event => setChannels({ ...channels, [channel.name]: event.target.value })}
              />
              <button
                type="button"
                className="jp-Button jp-mod-styled"
                data-testid={`channel-${channel.name}-pick`}
                title={trans.__('Use the file or folder selected in the file browser')}
                onClick={() => {
                  const path = nav.selectedPath();
                  if (path) {
                    setChannels({ ...channels, [channel.name]: path });
                  }
                }}
              >
                {trans.__('Selected')}
              </button>
            </span>
          </label>
          <ChannelPreview
            trans={trans}
            algorithm={algorithm.name}
            channel={channel.name}
            path={channels[channel.name] ?? ''}
            label={label}
          />
        </React.Fragment>
      ))}
      <div className="jp-studio-hint">{algorithm.content_types.join(', ')}</div>
      <label className="jp-studio-form-row">
        <span>{trans.__('Label column')}</span>
        <input
          className="jp-mod-styled"
          data-testid="channel-label"
          value={label}
          placeholder={trans.__('default: a column named label, else the first')}
          onChange={event => setLabel(event.target.value)}
        />
      </label>
      <h5>{trans.__('Hyperparameters')}</h5>
      {fields.map(field => (
        <label
          key={field.name}
          className="jp-studio-form-row"
          title={field.description}
          data-testid={`hp-row-${field.name}`}
        >
          <span>
            {field.name}
            {field.tunable ? ' ⚙' : ''}
          </span>
          <HyperparameterInput
            field={field}
            text={texts[field.name] ?? ''}
            onChange={text => setTexts({ ...texts, [field.name]: text })}
          />
          {problems[field.name] ? (
            <span className="jp-studio-field-error" data-testid={`hp-error-${field.name}`}>
              {`hyperparameters.${field.name}: ${problems[field.name]}`}
            </span>
          ) : (
            <span className="jp-studio-hint">
              {field.description}
              {field.defaultText ? ` (${trans.__('default')} ${textOf(field.defaultText)})` : ''}
            </span>
          )}
        </label>
      ))}
      <h5>{trans.__('Resources')}</h5>
      <label className="jp-studio-form-row">
        <span>{trans.__('Instance type')}</span>
        <select
          className="jp-mod-styled"
          data-testid="train-instance-type"
          value={instanceType}
          onChange={event => setInstanceType(event.target.value)}
        >
          {(types.data?.items ?? [{ name: 'local.small', description: '', gpus: 0 }]).map(t => (
            <option key={t.name} value={t.name} title={t.description}>
              {t.gpus ? `${t.name} (${t.gpus} GPU)` : t.name}
            </option>
          ))}
        </select>
      </label>
      <label className="jp-studio-form-row">
        <span>{trans.__('Instances')}</span>
        <input
          className="jp-mod-styled"
          data-testid="train-instance-count"
          type="number"
          min={1}
          max={maxInstances}
          disabled={!distributed}
          value={distributed ? instanceCount : '1'}
          onChange={event => setInstanceCount(event.target.value)}
        />
        {distributed && countProblem ? (
          <span className="jp-studio-field-error" data-testid="train-instance-count-error">
            {countProblem}
          </span>
        ) : (
          <span className="jp-studio-hint" data-testid="train-instance-count-hint">
            {distributed
              ? trans.__(
                  'trains on each instance together (torch.distributed): up to %1 on %2',
                  maxInstances,
                  instanceType
                )
              : trans.__('%1 trains on one instance', algorithm.name)}
          </span>
        )}
      </label>
      <div className="jp-studio-form-pair">
        <label className="jp-studio-form-row">
          <span>{trans.__('Checkpoint every epoch')}</span>
          <input
            type="checkbox"
            data-testid="train-checkpoint"
            checked={checkpoint}
            onChange={event => setCheckpoint(event.target.checked)}
          />
        </label>
        <label className="jp-studio-form-row">
          <span>{trans.__('Retries')}</span>
          <input
            className="jp-mod-styled"
            data-testid="train-retries"
            type="number"
            min={0}
            max={10}
            value={retries}
            onChange={event => setRetries(Number(event.target.value))}
          />
        </label>
      </div>
      <label className="jp-studio-form-row">
        <span>{trans.__('Register the model as')}</span>
        <input
          className="jp-mod-styled"
          data-testid="train-register-as"
          value={registerAs}
          placeholder={trans.__('(not registered)')}
          onChange={event => setRegisterAs(event.target.value)}
        />
      </label>
      <ErrorBox message={action.error ?? types.error} />
      <div className="jp-studio-actions">
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="train-submit"
          disabled={action.busy || invalid}
        >
          {trans.__('Train')}
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject"
          data-testid="train-back"
          onClick={props.onBack}
        >
          {trans.__('Back')}
        </button>
      </div>
    </form>
  );
}
