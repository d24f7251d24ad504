/**
 * The create form's pure parts: parameter-range rows prefilled from an algorithm's JSON Schema
 * (`x-tunable`, `x-tuning-range`), each row's range as the server takes it, and a trial job
 * template copied from an existing job.
 */
import {
  Category,
  ICreateJob,
  IDescribeJob,
  IHyperparameterSchema,
  IParameterRange,
  RangeType,
  Scaling
} from '../../api';
import { parseParameterValue } from '../../format';

/** One editable range: texts as typed, turned into an IParameterRange on submit. */
export interface IRangeRow {
  /** Stable React key (names change as the user types). */
  key: number;
  name: string;
  type: RangeType;
  min: string;
  max: string;
  scaling: Scaling;
  /** Categorical: comma-separated values. */
  values: string;
  /** Categorical values stay strings (the schema says string), else `3` is a number. */
  textValues: boolean;
}

let nextKey = 0;

export function newRow(fields: Partial<IRangeRow> = {}): IRangeRow {
  return {
    key: nextKey++,
    name: '',
    type: 'Continuous',
    min: '',
    max: '',
    scaling: 'Auto',
    values: '',
    textValues: false,
    ...fields
  };
}

/** The schema without pydantic's `anyOf: [{...}, {type: null}]` wrapping of an optional value. */
function inner(schema: IHyperparameterSchema): IHyperparameterSchema {
  return schema.anyOf?.find(s => s.type !== 'null') ?? schema;
}

function text(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

/**
 * A row per tunable hyperparameter: Integer or Continuous by the schema's type, with the
 * catalog's suggested range and scaling (else the schema's bounds); an enum or a boolean is a
 * Categorical range of its values.
 */
export function rowsFromSchema(properties: Record<string, IHyperparameterSchema>): IRangeRow[] {
  const rows: IRangeRow[] = [];
  for (const [name, raw] of Object.entries(properties)) {
    if (!raw['x-tunable']) {
      continue;
    }
    const schema = inner(raw);
    const suggested = raw['x-tuning-range'];
    if (schema.enum || schema.type === 'boolean') {
      const values = schema.enum ?? [true, false];
      rows.push(
        newRow({
          name,
          type: 'Categorical',
          values: values.map(String).join(', '),
          textValues: schema.type === 'string'
        })
      );
      continue;
    }
    rows.push(
      newRow({
        name,
        type: schema.type === 'integer' ? 'Integer' : 'Continuous',
        min: suggested ? String(suggested.min) : text(schema.minimum ?? schema.exclusiveMinimum),
        max: suggested ? String(suggested.max) : text(schema.maximum ?? schema.exclusiveMaximum),
        scaling: suggested?.scaling === 'Logarithmic' ? 'Logarithmic' : 'Linear'
      })
    );
  }
  return rows;
}

/** A Categorical value as typed: a number or boolean unless the schema says string. */
function categoryOf(value: string, textValues: boolean): Category {
  if (textValues) {
    return value;
  }
  const parsed = parseParameterValue(value);
  return typeof parsed === 'number' || typeof parsed === 'boolean' ? parsed : value;
}

/** The row as the server takes it, or what is wrong with its texts (the server checks the rest). */
export function rangeOf(row: IRangeRow): { range: IParameterRange } | { problem: string } {
  if (!row.name.trim()) {
    return { problem: 'a name is required' };
  }
  if (row.type === 'Categorical') {
    const values = row.values
      .split(',')
      .map(v => v.trim())
      .filter(v => v !== '');
    if (!values.length) {
      return { problem: 'values: at least one, separated by commas' };
    }
    return {
      range: { type: 'Categorical', values: values.map(v => categoryOf(v, row.textValues)) }
    };
  }
  const min = Number(row.min);
  const max = Number(row.max);
  if (row.min.trim() === '' || !Number.isFinite(min)) {
    return { problem: 'min: a number is required' };
  }
  if (row.max.trim() === '' || !Number.isFinite(max)) {
    return { problem: 'max: a number is required' };
  }
  return { range: { type: row.type, min, max, scaling: row.scaling } };
}

/** The parameter ranges of the rows, or the first row's problem named by its parameter. */
export function rangesOf(
  rows: IRangeRow[]
): { ranges: Record<string, IParameterRange> } | { problem: string } {
  const ranges: Record<string, IParameterRange> = {};
  for (const row of rows) {
    const answer = rangeOf(row);
    if ('problem' in answer) {
      return { problem: `parameter_ranges.${row.name.trim() || '?'}: ${answer.problem}` };
    }
    if (row.name.trim() in ranges) {
      return { problem: `parameter_ranges.${row.name.trim()}: given twice` };
    }
    ranges[row.name.trim()] = answer.range;
  }
  return { ranges };
}

/** What a trial job runs, as the form edits it. */
export interface ITemplate {
  /** A built-in algorithm; null: a notebook or script `input`. */
  algorithm: string | null;
  input: string;
  kind: ICreateJob['kind'];
  /** Channel -> path under the server root (an algorithm job). */
  channels: Record<string, string>;
  /** The label column of every channel ('' : the algorithm's rule). */
  label: string;
  /** The hyperparameters (an algorithm) or parameters (a script, notebook) every trial shares. */
  fixed: Record<string, unknown>;
  instanceType: string;
  timeoutSeconds?: number;
  environment?: Record<string, string>;
}

/** Copy an existing job as the trials' template: input or algorithm, channels, values, type. */
export function templateFromJob(job: IDescribeJob): ITemplate {
  const training = job.training;
  if (training) {
    const channels = Object.entries(training.channels);
    return {
      algorithm: training.algorithm,
      input: '',
      kind: 'algorithm',
      channels: Object.fromEntries(channels.map(([name, c]) => [name, c.path])),
      label: channels.find(([, c]) => c.label)?.[1].label ?? '',
      fixed: { ...training.hyperparameters },
      instanceType: job.instance_type,
      timeoutSeconds: job.timeout_seconds,
      environment: job.environment
    };
  }
  return {
    algorithm: null,
    input: job.input,
    kind: job.kind,
    channels: {},
    label: '',
    fixed: { ...job.parameters },
    instanceType: job.instance_type,
    timeoutSeconds: job.timeout_seconds,
    environment: job.environment
  };
}

/**
 * The `training_job` of the request: a range's parameter is left out of the fixed values (each
 * trial gets its own value for it).
 */
export function trainingJobOf(
  template: ITemplate,
  ranges: Record<string, IParameterRange>
): ICreateJob {
  const fixed = Object.fromEntries(Object.entries(template.fixed).filter(([k]) => !(k in ranges)));
  const common: ICreateJob = {
    instance_type: template.instanceType,
    ...(template.timeoutSeconds ? { timeout_seconds: template.timeoutSeconds } : {}),
    ...(template.environment && Object.keys(template.environment).length
      ? { environment: template.environment }
      : {})
  };
  if (template.algorithm) {
    const label = template.label.trim();
    const given = Object.entries(template.channels).filter(([, path]) => path.trim());
    return {
      ...common,
      algorithm: template.algorithm,
      hyperparameters: fixed,
      channels: Object.fromEntries(
        given.map(([name, path]) => [name, label ? { path: path.trim(), label } : path.trim()])
      )
    };
  }
  return { ...common, kind: template.kind, input: template.input.trim(), parameters: fixed };
}
