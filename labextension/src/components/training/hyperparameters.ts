/**
 * The training form's fields from an algorithm's JSON Schema: what input each hyperparameter gets,
 * its validation as the user types (the server's rule, said the same way), and the value sent.
 */
import { IHyperparameterSchema } from '../../api';

export interface IFieldSpec {
  name: string;
  kind: 'integer' | 'number' | 'boolean' | 'enum' | 'string' | 'list';
  /** Empty means "the default" (null allowed, or a default exists). */
  optional: boolean;
  choices: unknown[];
  defaultText: string;
  description: string;
  schema: IHyperparameterSchema;
  tunable: boolean;
}

/** The schema without pydantic's `anyOf: [{...}, {type: null}]` wrapping of an optional value. */
function unwrap(schema: IHyperparameterSchema): {
  inner: IHyperparameterSchema;
  nullable: boolean;
} {
  if (schema.anyOf) {
    const inner = schema.anyOf.find(s => s.type !== 'null') ?? {};
    return { inner: { ...inner, ...without(schema, 'anyOf') }, nullable: true };
  }
  return { inner: schema, nullable: false };
}

function without(schema: IHyperparameterSchema, key: keyof IHyperparameterSchema) {
  const copy = { ...schema };
  delete copy[key];
  return copy;
}

export function textOf(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (Array.isArray(value)) {
    return value.map(v => textOf(v)).join(', ');
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return JSON.stringify(value);
}

export function fieldSpecs(properties: Record<string, IHyperparameterSchema>): IFieldSpec[] {
  return Object.entries(properties).map(([name, raw]) => {
    const { inner, nullable } = unwrap(raw);
    let kind: IFieldSpec['kind'] = 'string';
    if (inner.enum) {
      kind = 'enum';
    } else if (inner.type === 'integer' || inner.type === 'number' || inner.type === 'boolean') {
      kind = inner.type;
    } else if (inner.type === 'array') {
      kind = 'list';
    }
    return {
      name,
      kind,
      optional: nullable || raw.default !== undefined,
      choices: inner.enum ?? [],
      defaultText: textOf(raw.default),
      description: raw.description ?? inner.description ?? '',
      schema: inner,
      tunable: !!raw['x-tunable']
    };
  });
}

/** The range of a number field as the server says it: "[1, 20]", "(0, 1]", ">= 0". */
function rangeText(s: IHyperparameterSchema): string {
  const low = s.minimum ?? s.exclusiveMinimum;
  const high = s.maximum ?? s.exclusiveMaximum;
  if (low !== undefined && high !== undefined) {
    return `${s.exclusiveMinimum !== undefined ? '(' : '['}${low}, ${high}${s.exclusiveMaximum !== undefined ? ')' : ']'}`;
  }
  if (low !== undefined) {
    return `${s.exclusiveMinimum !== undefined ? '>' : '>='} ${low}`;
  }
  if (high !== undefined) {
    return `${s.exclusiveMaximum !== undefined ? '<' : '<='} ${high}`;
  }
  return '';
}

function inRange(value: number, s: IHyperparameterSchema): boolean {
  return !(
    (s.minimum !== undefined && value < s.minimum) ||
    (s.maximum !== undefined && value > s.maximum) ||
    (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) ||
    (s.exclusiveMaximum !== undefined && value >= s.exclusiveMaximum)
  );
}

/** What is wrong with the typed text, in the server's words (null: fine). */
export function problemOf(field: IFieldSpec, text: string): string | null {
  const value = text.trim();
  if (value === '') {
    return field.optional ? null : 'required';
  }
  const s = field.schema;
  if (field.kind === 'integer' || field.kind === 'number') {
    const number = Number(value);
    const range = rangeText(s);
    const what = field.kind === 'integer' ? 'an integer' : 'a number';
    if (
      !Number.isFinite(number) ||
      (field.kind === 'integer' && !Number.isInteger(number)) ||
      !inRange(number, s)
    ) {
      return `must be ${what}${range ? ` in ${range}` : ''}`;
    }
  }
  if (field.kind === 'list') {
    const items = value.split(',').map(v => v.trim());
    if (s.items?.type === 'number' && items.some(v => v === '' || !Number.isFinite(Number(v)))) {
      return 'must be numbers separated by commas';
    }
  }
  if (field.kind === 'string') {
    if (s.maxLength !== undefined && value.length > s.maxLength) {
      return `must be at most ${s.maxLength} characters`;
    }
    if (s.pattern && !new RegExp(s.pattern).test(value)) {
      return `must match ${s.pattern}`;
    }
  }
  return null;
}

/** The JSON value of the typed text (call when problemOf says it is fine). */
export function valueOf(field: IFieldSpec, text: string): unknown {
  const value = text.trim();
  switch (field.kind) {
    case 'integer':
    case 'number':
      return Number(value);
    case 'boolean':
      return value === 'true';
    case 'list':
      return value
        .split(',')
        .map(v => v.trim())
        .map(v => (field.schema.items?.type === 'number' ? Number(v) : v));
    case 'enum':
      return field.choices.find(c => String(c) === value) ?? value;
    default:
      return value;
  }
}

/** The hyperparameters to send: the fields changed from their defaults. */
export function changedValues(
  fields: IFieldSpec[],
  texts: Record<string, string>
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const text = texts[field.name];
    if (text === undefined || text.trim() === field.defaultText || text.trim() === '') {
      continue;
    }
    out[field.name] = valueOf(field, text);
  }
  return out;
}
