/**
 * The create form of a tuning job: name, objective metric (the algorithm's metrics, or any metric a
 * script or notebook logs), strategy and limits, early stopping, and the job every trial runs:
 * either a built-in algorithm (channels; its tunable hyperparameters' ranges prefilled from the
 * catalog, each row editable or removable) or a copy of an existing job. The server checks the
 * rest; its 400 message shows next to the buttons.
 */
import * as React from 'react';

import {
  AlgorithmsAPI,
  EarlyStopping,
  IAlgorithmSpec,
  IDescribeTuningJob,
  InstanceTypesAPI,
  JobsAPI,
  ObjectiveType,
  RANGE_TYPES,
  RangeType,
  Scaling,
  Strategy,
  STRATEGIES,
  TuningAPI
} from '../../api';
import { formatTime } from '../../format';
import { ITuningNav } from '../../tokens';
import { ErrorBox } from '../common/ErrorBox';
import { useAction, useRequest } from '../common/hooks';
import {
  IRangeRow,
  ITemplate,
  newRow,
  rangeOf,
  rangesOf,
  rowsFromSchema,
  templateFromJob,
  trainingJobOf
} from './ranges';

type Source = 'algorithm' | 'job';

const EMPTY_TEMPLATE: ITemplate = {
  algorithm: null,
  input: '',
  kind: null,
  channels: {},
  label: '',
  fixed: {},
  instanceType: 'local.small'
};

/** The metric a new form proposes: the first validation metric (what tuning should judge by). */
function defaultMetric(spec: IAlgorithmSpec): string {
  return (spec.metrics.find(m => m.name.startsWith('validation:')) ?? spec.metrics[0])?.name ?? '';
}

/** The fixed values' JSON text as an object, or what is wrong with it. */
function parseFixed(text: string): { fixed: Record<string, unknown> } | { problem: string } {
  if (!text.trim()) {
    return { fixed: {} };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return { fixed: value as Record<string, unknown> };
    }
  } catch {
    // said below
  }
  return { problem: 'must be a JSON object, e.g. {"num_round": 20}' };
}

/** An optional whole number as typed: undefined when empty (the server's default). */
function optionalInt(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

export function CreateTuningForm(props: {
  nav: ITuningNav;
  onCreated: (created: IDescribeTuningJob) => void;
  onCancel: () => void;
}): JSX.Element {
  const { nav } = props;
  const trans = nav.trans;
  const catalog = useRequest(() => AlgorithmsAPI.list(), []);
  const types = useRequest(() => InstanceTypesAPI.list(), []);
  const [name, setName] = React.useState('');
  const [source, setSource] = React.useState<Source>('algorithm');
  const [template, setTemplate] = React.useState<ITemplate>(EMPTY_TEMPLATE);
  const [fixedText, setFixedText] = React.useState('');
  const [jobId, setJobId] = React.useState('');
  const jobs = useRequest(
    () =>
      source === 'job'
        ? JobsAPI.list({ max_items: 100, sort_by: '-created_at' })
        : Promise.resolve(null),
    [source]
  );
  const picked = useAction();
  // The algorithm form: until one is chosen, the catalog's first.
  const algorithm =
    source === 'algorithm'
      ? (template.algorithm ?? catalog.data?.items[0]?.name ?? null)
      : template.algorithm;
  const spec = useRequest(
    () => (algorithm ? AlgorithmsAPI.get(algorithm) : Promise.resolve(null)),
    [algorithm]
  );
  const [rows, setRows] = React.useState<IRangeRow[]>([]);
  const [rowsFor, setRowsFor] = React.useState<string | null>(null);
  const [metric, setMetric] = React.useState('');
  const [direction, setDirection] = React.useState<ObjectiveType | ''>('');
  const [aggregation, setAggregation] = React.useState<'Last' | 'Best'>('Last');
  const [strategy, setStrategy] = React.useState<Strategy>('Bayesian');
  const [maxTrials, setMaxTrials] = React.useState('10');
  const [parallel, setParallel] = React.useState('2');
  const [maxRuntime, setMaxRuntime] = React.useState('');
  const [earlyStopping, setEarlyStopping] = React.useState<EarlyStopping>('Off');
  const action = useAction();

  // A new algorithm's schema arrived: its tunable ranges and a metric of its own (adjusting state
  // while rendering, so the first frame with the schema already shows them).
  const loaded = spec.data && spec.data.name === algorithm ? spec.data : null;
  if (loaded && rowsFor !== loaded.name) {
    setRowsFor(loaded.name);
    setRows(rowsFromSchema(loaded.hyperparameters.properties ?? {}));
    if (!loaded.metrics.some(m => m.name === metric)) {
      setMetric(defaultMetric(loaded));
    }
  }

  const pickJob = (id: string) => {
    setJobId(id);
    if (!id) {
      return;
    }
    void picked.run(async () => {
      const job = await JobsAPI.get(id);
      const copied = templateFromJob(job);
      setTemplate(copied);
      setFixedText(Object.keys(copied.fixed).length ? JSON.stringify(copied.fixed) : '');
      setRowsFor(null);
      if (!copied.algorithm) {
        // A script or notebook: the ranges are the user's to add (its parameters are hints).
        setRows([]);
        setMetric('');
      }
      setName(current => current || `${job.name}-tuning`.replace(/[^A-Za-z0-9._-]+/g, '-'));
    });
  };

  const changeSource = (next: Source) => {
    setSource(next);
    setTemplate(EMPTY_TEMPLATE);
    setFixedText('');
    setJobId('');
    setRowsFor(null);
    setRows([]);
  };

  const updateRow = (key: number, change: Partial<IRangeRow>) =>
    setRows(rows.map(r => (r.key === key ? { ...r, ...change } : r)));

  const fixed = parseFixed(fixedText);
  const scriptJob = !algorithm && source === 'job' && !!template.input;
  const ready = source === 'algorithm' ? !!algorithm : !!jobId && (!!algorithm || scriptJob);
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const ranges = rangesOf(rows);
      if ('problem' in ranges) {
        throw new Error(ranges.problem);
      }
      if ('problem' in fixed) {
        throw new Error(`fixed values: ${fixed.problem}`);
      }
      const created = await TuningAPI.create({
        name: name.trim(),
        objective: {
          metric: metric.trim(),
          type: direction || null,
          ...(algorithm ? {} : { aggregation })
        },
        parameter_ranges: ranges.ranges,
        strategy,
        max_trials: optionalInt(maxTrials),
        max_parallel_trials: optionalInt(parallel),
        max_runtime_seconds: optionalInt(maxRuntime) ?? null,
        early_stopping: earlyStopping,
        training_job: trainingJobOf({ ...template, algorithm, fixed: fixed.fixed }, ranges.ranges)
      });
      props.onCreated(created);
    });
  };

  const algorithms = catalog.data?.items ?? [];
  const channels = loaded?.channels ?? [];
  return (
    <form
      className="jp-studio-form-box jp-studio-TuningForm"
      data-testid="tuning-create-form"
      onSubmit={submit}
    >
      <h2>{trans.__('New tuning job')}</h2>
      <p className="jp-studio-hint">
        {trans.__(
          'Runs the training job many times with values from the ranges below and keeps the trial with the best objective. Each trial is a job (Jobs panel) with its MLflow run.'
        )}
      </p>
      <label className="jp-studio-form-row">
        <span>{trans.__('Name')}</span>
        <input
          className="jp-mod-styled"
          data-testid="tuning-name"
          value={name}
          placeholder="churn-xgb"
          onChange={event => setName(event.target.value)}
        />
      </label>

      <fieldset className="jp-studio-tuning-fieldset">
        <legend>{trans.__('Training job of each trial')}</legend>
        <div className="jp-studio-form-mode" role="radiogroup">
          {(['algorithm', 'job'] as Source[]).map(s => (
            <label key={s}>
              <input
                type="radio"
                name="tuning-source"
                data-testid={`tuning-source-${s}`}
                checked={source === s}
                onChange={() => changeSource(s)}
              />
              {s === 'algorithm'
                ? trans.__('Built-in algorithm')
                : trans.__('Copy an existing job')}
            </label>
          ))}
        </div>
        {source === 'algorithm' ? (
          <label className="jp-studio-form-row">
            <span>{trans.__('Algorithm')}</span>
            <select
              className="jp-mod-styled"
              data-testid="tuning-algorithm"
              value={algorithm ?? ''}
              onChange={event => setTemplate({ ...template, algorithm: event.target.value })}
            >
              {algorithms.map(a => (
                <option key={a.name} value={a.name} title={a.description}>
                  {`${a.title} (${a.name})`}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label className="jp-studio-form-row">
            <span>{trans.__('Job')}</span>
            <select
              className="jp-mod-styled"
              data-testid="tuning-template-job"
              value={jobId}
              onChange={event => pickJob(event.target.value)}
            >
              <option value="">{trans.__('(choose a job to copy)')}</option>
              {(jobs.data?.items ?? []).map(job => (
                <option key={job.job_id} value={job.job_id}>
                  {`${job.name} · ${job.training?.algorithm ?? job.input} · ${job.status} · ${formatTime(job.created_at)}`}
                </option>
              ))}
            </select>
            <span className="jp-studio-hint">
              {trans.__(
                'Copies its input or algorithm, channels, parameters and instance type; edit them below.'
              )}
            </span>
          </label>
        )}
        {scriptJob ? (
          <label className="jp-studio-form-row">
            <span>{template.kind === 'notebook' ? trans.__('Notebook') : trans.__('Script')}</span>
            <input
              className="jp-mod-styled"
              data-testid="tuning-input"
              value={template.input}
              onChange={event => setTemplate({ ...template, input: event.target.value })}
            />
          </label>
        ) : null}
        {channels.map(channel => (
          <label key={channel.name} className="jp-studio-form-row" title={channel.description}>
            <span>
              {trans.__('Channel %1', channel.name)}
              {channel.required ? ' *' : ''}
            </span>
            <input
              className="jp-mod-styled"
              data-testid={`tuning-channel-${channel.name}`}
              value={template.channels[channel.name] ?? ''}
              placeholder={trans.__('path under the server root')}
              onChange={event =>
                setTemplate({
                  ...template,
                  channels: { ...template.channels, [channel.name]: event.target.value }
                })
              }
            />
          </label>
        ))}
        {algorithm ? (
          <label className="jp-studio-form-row">
            <span>{trans.__('Label column')}</span>
            <input
              className="jp-mod-styled"
              data-testid="tuning-label"
              value={template.label}
              placeholder={trans.__('default: a column named label, else the first')}
              onChange={event => setTemplate({ ...template, label: event.target.value })}
            />
          </label>
        ) : null}
        {ready ? (
          <label className="jp-studio-form-row">
            <span>
              {algorithm ? trans.__('Fixed hyperparameters') : trans.__('Fixed parameters')}
            </span>
            <input
              className="jp-mod-styled jp-studio-code-input"
              data-testid="tuning-fixed"
              value={fixedText}
              placeholder={algorithm ? '{"num_round": 20}' : '{"epochs": 3}'}
              onChange={event => setFixedText(event.target.value)}
            />
            {'problem' in fixed ? (
              <span className="jp-studio-field-error" data-testid="tuning-fixed-error">
                {fixed.problem}
              </span>
            ) : (
              <span className="jp-studio-hint">
                {trans.__('Every trial gets these (JSON); a range below overrides its parameter.')}
              </span>
            )}
          </label>
        ) : null}
        <label className="jp-studio-form-row">
          <span>{trans.__('Instance type')}</span>
          <select
            className="jp-mod-styled"
            data-testid="tuning-instance-type"
            value={template.instanceType}
            onChange={event => setTemplate({ ...template, instanceType: event.target.value })}
          >
            {(types.data?.items ?? [{ name: template.instanceType, description: '' }]).map(t => (
              <option key={t.name} value={t.name} title={t.description}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <ErrorBox message={picked.error ?? jobs.error ?? spec.error} />
      </fieldset>

      <fieldset className="jp-studio-tuning-fieldset">
        <legend>{trans.__('Objective')}</legend>
        <div className="jp-studio-form-pair">
          <label className="jp-studio-form-row">
            <span>{trans.__('Metric')}</span>
            {algorithm ? (
              <select
                className="jp-mod-styled"
                data-testid="tuning-metric"
                value={metric}
                onChange={event => setMetric(event.target.value)}
              >
                {(loaded?.metrics ?? []).map(m => (
                  <option key={m.name} value={m.name}>
                    {`${m.name} (${m.direction === 'Maximize' ? trans.__('higher is better') : trans.__('lower is better')})`}
                  </option>
                ))}
              </select>
            ) : (
              <input
                className="jp-mod-styled"
                data-testid="tuning-metric"
                value={metric}
                placeholder={trans.__('an MLflow metric the run logs, e.g. val_accuracy')}
                onChange={event => setMetric(event.target.value)}
              />
            )}
          </label>
          <label className="jp-studio-form-row">
            <span>{trans.__('Type')}</span>
            <select
              className="jp-mod-styled"
              data-testid="tuning-objective-type"
              value={direction}
              onChange={event => setDirection(event.target.value as ObjectiveType | '')}
            >
              <option value="">
                {algorithm ? trans.__("the metric's direction") : trans.__('(choose)')}
              </option>
              <option value="Maximize">{trans.__('Maximize')}</option>
              <option value="Minimize">{trans.__('Minimize')}</option>
            </select>
          </label>
          {algorithm ? null : (
            <label className="jp-studio-form-row">
              <span>{trans.__('Value of the series')}</span>
              <select
                className="jp-mod-styled"
                data-testid="tuning-aggregation"
                value={aggregation}
                onChange={event => setAggregation(event.target.value as 'Last' | 'Best')}
              >
                <option value="Last">{trans.__('Last')}</option>
                <option value="Best">{trans.__('Best')}</option>
              </select>
            </label>
          )}
        </div>
      </fieldset>

      <fieldset className="jp-studio-tuning-fieldset">
        <legend>{trans.__('Hyperparameter ranges')}</legend>
        {algorithm ? (
          <p className="jp-studio-hint">
            {trans.__(
              "Prefilled with %1's tunable hyperparameters and suggested ranges: edit or remove rows.",
              algorithm
            )}
          </p>
        ) : null}
        <table className="jp-studio-table jp-studio-ranges" data-testid="tuning-ranges">
          <thead>
            <tr>
              <th>{trans.__('Parameter')}</th>
              <th>{trans.__('Type')}</th>
              <th>{trans.__('Min')}</th>
              <th>{trans.__('Max')}</th>
              <th>{trans.__('Scaling')}</th>
              <th>{trans.__('Values (Categorical)')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map(row => (
              <RangeRow
                key={row.key}
                nav={nav}
                row={row}
                onChange={change => updateRow(row.key, change)}
                onRemove={() => setRows(rows.filter(r => r.key !== row.key))}
              />
            ))}
          </tbody>
        </table>
        <button
          type="button"
          className="jp-Button jp-mod-styled"
          data-testid="tuning-range-add"
          onClick={() => setRows([...rows, newRow()])}
        >
          {trans.__('Add range')}
        </button>
        {!algorithm && Object.keys(template.fixed).length ? (
          <span className="jp-studio-hint">
            {trans.__("This job's parameters: %1", Object.keys(template.fixed).join(', '))}
          </span>
        ) : null}
      </fieldset>

      <fieldset className="jp-studio-tuning-fieldset">
        <legend>{trans.__('Search')}</legend>
        <div className="jp-studio-form-pair">
          <label className="jp-studio-form-row">
            <span>{trans.__('Strategy')}</span>
            <select
              className="jp-mod-styled"
              data-testid="tuning-strategy"
              value={strategy}
              onChange={event => setStrategy(event.target.value as Strategy)}
            >
              {STRATEGIES.map(s => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="jp-studio-form-row">
            <span>{trans.__('Early stopping')}</span>
            <select
              className="jp-mod-styled"
              data-testid="tuning-early-stopping"
              value={earlyStopping}
              onChange={event => setEarlyStopping(event.target.value as EarlyStopping)}
            >
              <option value="Off">{trans.__('Off')}</option>
              <option value="Auto">{trans.__('Auto (stop trials below the median)')}</option>
            </select>
          </label>
        </div>
        <div className="jp-studio-form-pair">
          <label className="jp-studio-form-row">
            <span>{trans.__('Max trials')}</span>
            <input
              className="jp-mod-styled"
              data-testid="tuning-max-trials"
              type="number"
              min={1}
              value={maxTrials}
              onChange={event => setMaxTrials(event.target.value)}
            />
          </label>
          <label className="jp-studio-form-row">
            <span>{trans.__('Parallel trials')}</span>
            <input
              className="jp-mod-styled"
              data-testid="tuning-parallel"
              type="number"
              min={1}
              value={parallel}
              onChange={event => setParallel(event.target.value)}
            />
          </label>
          <label className="jp-studio-form-row">
            <span>{trans.__('Max runtime (s)')}</span>
            <input
              className="jp-mod-styled"
              data-testid="tuning-max-runtime"
              type="number"
              min={10}
              value={maxRuntime}
              placeholder={trans.__('no limit')}
              onChange={event => setMaxRuntime(event.target.value)}
            />
          </label>
        </div>
      </fieldset>

      <ErrorBox
        message={action.error ?? catalog.error ?? types.error}
        testid="tuning-create-error"
      />
      <div className="jp-studio-actions">
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="tuning-create-submit"
          disabled={action.busy || !ready}
        >
          {trans.__('Start tuning')}
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject"
          data-testid="tuning-create-cancel"
          onClick={props.onCancel}
        >
          {trans.__('Cancel')}
        </button>
      </div>
    </form>
  );
}

function RangeRow(props: {
  nav: ITuningNav;
  row: IRangeRow;
  onChange: (change: Partial<IRangeRow>) => void;
  onRemove: () => void;
}): JSX.Element {
  const { row, nav } = props;
  const trans = nav.trans;
  const categorical = row.type === 'Categorical';
  const answer = rangeOf(row);
  return (
    <tr data-testid="tuning-range" data-name={row.name} data-type={row.type}>
      <td>
        <input
          className="jp-mod-styled"
          data-testid="tuning-range-name"
          value={row.name}
          placeholder={trans.__('name')}
          onChange={event => props.onChange({ name: event.target.value })}
        />
      </td>
      <td>
        <select
          className="jp-mod-styled"
          data-testid="tuning-range-type"
          value={row.type}
          onChange={event => props.onChange({ type: event.target.value as RangeType })}
        >
          {RANGE_TYPES.map(t => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </td>
      <td>
        <input
          className="jp-mod-styled jp-studio-range-number"
          data-testid="tuning-range-min"
          value={categorical ? '' : row.min}
          disabled={categorical}
          inputMode="decimal"
          onChange={event => props.onChange({ min: event.target.value })}
        />
      </td>
      <td>
        <input
          className="jp-mod-styled jp-studio-range-number"
          data-testid="tuning-range-max"
          value={categorical ? '' : row.max}
          disabled={categorical}
          inputMode="decimal"
          onChange={event => props.onChange({ max: event.target.value })}
        />
      </td>
      <td>
        <select
          className="jp-mod-styled"
          data-testid="tuning-range-scaling"
          value={row.scaling}
          disabled={categorical}
          onChange={event => props.onChange({ scaling: event.target.value as Scaling })}
        >
          <option value="Auto">Auto</option>
          <option value="Linear">Linear</option>
          <option value="Logarithmic">Logarithmic</option>
        </select>
      </td>
      <td>
        <input
          className="jp-mod-styled"
          data-testid="tuning-range-values"
          value={categorical ? row.values : ''}
          disabled={!categorical}
          placeholder={categorical ? 'a, b, c' : ''}
          onChange={event => props.onChange({ values: event.target.value })}
        />
        {'problem' in answer ? (
          <div className="jp-studio-field-error" data-testid="tuning-range-error">
            {answer.problem}
          </div>
        ) : null}
      </td>
      <td>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject"
          data-testid="tuning-range-remove"
          title={trans.__('Remove this range: its parameter keeps its fixed or default value')}
          onClick={props.onRemove}
        >
          ✕
        </button>
      </td>
    </tr>
  );
}
