/**
 * The "Run as job" dialog: prefill from the notebook's parameters cell, submit, show server errors.
 */
import { Dialog, Notification, ReactWidget } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { UUID } from '@lumino/coreutils';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import {
  IInstanceType,
  IJobTemplate,
  InstanceTypesAPI,
  JobKind,
  JobsAPI,
  SchedulesAPI,
  StudioRequestError
} from '../api';
import { IParameterRow, IRunJobFormState, RunJobForm } from '../components/jobs/RunJobForm';
import { parseParameterValue, pythonLiteralToJson } from '../format';

/** The dialog body: holds the form state between renders and between attempts. */
class RunJobBody extends ReactWidget {
  constructor(
    public state: IRunJobFormState,
    private _instanceTypes: IInstanceType[],
    private _canSchedule: boolean,
    private _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-studio-RunJobDialog');
  }

  getValue(): IRunJobFormState {
    return this.state;
  }

  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    // The dialog's accept button says what it will do: run now or create a schedule.
    const label = this.node
      .closest('.jp-Dialog-content')
      ?.querySelector('.jp-Dialog-button.jp-mod-accept .jp-Dialog-buttonLabel');
    if (label) {
      label.textContent =
        this.state.mode === 'now' ? this._trans.__('Run now') : this._trans.__('Create schedule');
    }
  }

  protected render(): JSX.Element {
    return (
      <RunJobForm
        state={this.state}
        instanceTypes={this._instanceTypes}
        canSchedule={this._canSchedule}
        trans={this._trans}
        onChange={state => {
          this.state = state;
          this.update();
        }}
      />
    );
  }
}

export function kindOf(path: string): JobKind | null {
  const ext = PathExt.extname(path).toLowerCase();
  return ext === '.ipynb' ? 'notebook' : ext === '.py' ? 'script' : null;
}

/**
 * Rows from GET notebook-parameters. The server answers `{name: {default, type, help}}` (defaults
 * are Python source text), possibly wrapped as `{parameters: ...}`; plain values work too.
 */
export function parameterRows(answer: unknown): IParameterRow[] {
  let entries: unknown = answer;
  if (entries && typeof entries === 'object' && 'parameters' in entries) {
    entries = entries.parameters;
  }
  if (Array.isArray(entries)) {
    entries = Object.fromEntries(
      (entries as { name: string }[]).map(parameter => [parameter.name, parameter])
    );
  }
  if (!entries || typeof entries !== 'object') {
    return [];
  }
  return Object.entries(entries as Record<string, unknown>).map(([key, spec]) => {
    if (spec && typeof spec === 'object' && 'default' in spec) {
      const declared = spec as { default: unknown; type?: string; inferred_type_name?: string };
      const value =
        typeof declared.default === 'string'
          ? pythonLiteralToJson(declared.default)
          : JSON.stringify(declared.default);
      return { key, value, declaredType: declared.type ?? declared.inferred_type_name };
    }
    return { key, value: JSON.stringify(spec) };
  });
}

function localTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Build the job template, or a message naming the form field at fault. */
function toTemplate(state: IRunJobFormState, trans: TranslationBundle): IJobTemplate | string {
  const parameters: Record<string, unknown> = {};
  for (const row of state.parameters) {
    const key = row.key.trim();
    if (!key && !row.value.trim()) {
      continue; // an empty row left over from "Add parameter"
    }
    if (!key) {
      return trans.__('parameters: a parameter has a value but no name');
    }
    if (key in parameters) {
      return trans.__('parameters: the name "%1" is given twice', key);
    }
    parameters[key] = parseParameterValue(row.value);
  }
  const template: IJobTemplate = {
    input: state.input,
    kind: state.kind,
    parameters,
    instance_type: state.instanceType
  };
  if (state.name.trim()) {
    template.name = state.name.trim();
  }
  if (state.timeoutMinutes.trim()) {
    const minutes = Number(state.timeoutMinutes);
    if (!isFinite(minutes) || minutes <= 0) {
      return trans.__('timeout_seconds: the timeout must be a positive number of minutes');
    }
    template.timeout_seconds = Math.max(1, Math.round(minutes * 60));
  }
  if (state.maxRetries.trim()) {
    const retries = Number(state.maxRetries);
    if (!Number.isInteger(retries) || retries < 0) {
      return trans.__('max_retries: the retry count must be a whole number from 0 to 10');
    }
    template.max_retries = retries;
  }
  if (state.experimentName.trim()) {
    template.experiment_name = state.experimentName.trim();
  }
  return template;
}

export interface IRunAsJobResult {
  jobId?: string;
  jobDefinitionId?: string;
}

/**
 * Open the form for a notebook or script, submit it, and return what was created (undefined when
 * the user cancelled). The dialog reopens with the server's message until it succeeds.
 */
export async function runAsJobDialog(
  path: string,
  trans: TranslationBundle,
  canSchedule: boolean
): Promise<IRunAsJobResult | undefined> {
  const kind = kindOf(path);
  if (!kind) {
    Notification.error(trans.__('Only notebooks (.ipynb) and Python files (.py) run as jobs.'));
    return undefined;
  }
  const [types, params] = await Promise.all([
    InstanceTypesAPI.list().then(
      r => r.items,
      () => [] as IInstanceType[]
    ),
    kind === 'notebook'
      ? JobsAPI.notebookParameters(path).then(
          answer => ({ rows: parameterRows(answer), note: null as string | null }),
          (error: unknown) => ({
            rows: [] as IParameterRow[],
            note: trans.__(
              'The parameters cell could not be read (%1); add parameters by hand.',
              error instanceof StudioRequestError ? error.message : String(error)
            )
          })
        )
      : Promise.resolve({ rows: [] as IParameterRow[], note: null as string | null })
  ]);
  let state: IRunJobFormState = {
    input: path,
    kind,
    name: PathExt.basename(path, PathExt.extname(path)),
    parameters: params.rows,
    instanceType:
      types.find(t => t.name === 'local.small')?.name ?? types[0]?.name ?? 'local.small',
    timeoutMinutes: '',
    maxRetries: '0',
    experimentName: '',
    mode: 'now',
    schedule: '0 * * * *',
    timezone: localTimezone(),
    missedRunPolicy: 'skip',
    error: null,
    parametersNote:
      params.note ??
      (kind === 'notebook' && params.rows.length === 0
        ? trans.__(
            'This notebook has no cell tagged "parameters"; parameters can only be added once it has one.'
          )
        : null)
  };
  // One token per form: a submit that reached the server but lost its answer is not doubled.
  const idempotencyToken = UUID.uuid4();

  for (;;) {
    const body = new RunJobBody(state, types, canSchedule, trans);
    const dialog = new Dialog<IRunJobFormState>({
      title: trans.__('Run "%1" as a job', PathExt.basename(path)),
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({
          label: state.mode === 'now' ? trans.__('Run now') : trans.__('Create schedule')
        })
      ],
      focusNodeSelector: '[data-testid="run-job-name"]'
    });
    dialog.addClass('jp-studio-RunJobDialog-outer');
    const result = await dialog.launch();
    state = { ...body.state, error: null };
    dialog.dispose();
    if (!result.button.accept) {
      return undefined;
    }
    const template = toTemplate(state, trans);
    if (typeof template === 'string') {
      state.error = template;
      continue;
    }
    try {
      if (state.mode === 'now') {
        const answer = await JobsAPI.create({
          ...template,
          idempotency_token: idempotencyToken
        });
        return { jobId: answer.job_id };
      }
      const answer = await SchedulesAPI.create({
        name: template.name ?? PathExt.basename(path, PathExt.extname(path)),
        schedule: state.schedule.trim(),
        timezone: state.timezone.trim() || 'UTC',
        missed_run_policy: state.missedRunPolicy,
        job: template
      });
      return { jobDefinitionId: answer.job_definition_id };
    } catch (error) {
      state.error =
        error instanceof StudioRequestError
          ? error.message
          : trans.__('The request failed: %1', String(error));
    }
  }
}
