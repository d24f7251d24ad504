/**
 * Small pure helpers shared by the views: dates, durations, sizes, parameter and cell values.
 */

/** Parse a server datetime; a value without a zone is UTC (the server stores UTC). */
export function parseDate(value: string | null | undefined): Date | null {
  if (!value) {
    return null;
  }
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/.test(value);
  const date = new Date(hasZone ? value : `${value}Z`);
  return isNaN(date.getTime()) ? null : date;
}

export function formatTime(value: string | null | undefined): string {
  const date = parseDate(value);
  return date ? date.toLocaleString() : '';
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds) || seconds < 0) {
    return '';
  }
  if (seconds < 60) {
    return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  }
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h ${m}m` : `${m}m ${s}s`;
}

/** Seconds a job has run: the server's figure, or live from started_at while it runs. */
export function jobDuration(job: {
  duration_seconds: number | null;
  started_at: string | null;
  ended_at: string | null;
}): number | null {
  const started = parseDate(job.started_at);
  if (started && !job.ended_at) {
    return Math.max(0, (Date.now() - started.getTime()) / 1000);
  }
  return job.duration_seconds;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A Python literal (papermill's parameter default, e.g. `'abc'`, `True`, `[1, 2]`) as JSON text
 * for the form's value field; anything that is not a literal stays as it was written.
 */
export function pythonLiteralToJson(source: string): string {
  const text = source.trim();
  try {
    JSON.parse(text);
    return text;
  } catch {
    // not JSON as written: try the Python spellings below
  }
  const single = /^'((?:[^'\\]|\\.)*)'$/s.exec(text);
  if (single) {
    return JSON.stringify(single[1].replace(/\\'/g, "'").replace(/\\\\/g, '\\'));
  }
  const converted = text
    .replace(/\bTrue\b/g, 'true')
    .replace(/\bFalse\b/g, 'false')
    .replace(/\bNone\b/g, 'null')
    .replace(/'/g, '"')
    .replace(/,\s*([\]}])/g, '$1');
  try {
    JSON.parse(converted);
    return converted;
  } catch {
    return JSON.stringify(text);
  }
}

/** The value a user typed: JSON when it parses (numbers, booleans, lists), a string otherwise. */
export function parseParameterValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') {
    return '';
  }
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}

export function valueType(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'list';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? 'int' : 'float';
  }
  if (typeof value === 'boolean') {
    return 'bool';
  }
  if (typeof value === 'object') {
    return 'dict';
  }
  return 'str';
}

/** JSON text of a value for an editable field (strings stay readable with their quotes). */
export function valueToText(value: unknown): string {
  return JSON.stringify(value);
}

/** A metric or param value for a table cell. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      return String(value);
    }
    const text = value.toPrecision(6);
    // Trailing zeros of the fraction only ("1.10000" -> "1.1"; never "120000" or "1e+21").
    return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}
