/**
 * The "Run as job" form: name, parameters, instance type, limits, experiment, run now or schedule.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { addIcon, closeIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IInstanceType, JobKind, MissedRunPolicy } from '../../api';
import { parseParameterValue, valueType } from '../../format';
import { ErrorBox } from '../common/ErrorBox';

export interface IParameterRow {
  key: string;
  /** JSON text; a value that is not JSON is sent as a string. */
  value: string;
  /** The type the notebook's parameters cell declares, for the hint. */
  declaredType?: string;
}

export interface IRunJobFormState {
  input: string;
  kind: JobKind;
  name: string;
  parameters: IParameterRow[];
  instanceType: string;
  timeoutMinutes: string;
  maxRetries: string;
  experimentName: string;
  mode: 'now' | 'schedule';
  schedule: string;
  timezone: string;
  missedRunPolicy: MissedRunPolicy;
  /** The server's last answer to a submit (names the field at fault). */
  error: string | null;
  /** Why the parameters were not prefilled, if they were not. */
  parametersNote: string | null;
}

export interface IRunJobFormProps {
  state: IRunJobFormState;
  instanceTypes: IInstanceType[];
  /** The server runs schedules: offer "Schedule" beside "Run now". */
  canSchedule: boolean;
  trans: TranslationBundle;
  onChange: (state: IRunJobFormState) => void;
}

function instanceLabel(type: IInstanceType): string {
  const memory =
    type.memory_mib >= 1024
      ? `${(type.memory_mib / 1024).toFixed(0)} GiB`
      : `${type.memory_mib} MiB`;
  const gpu = type.gpus ? `, ${type.gpus} GPU` : '';
  return `${type.name} (${type.vcpus} vCPU, ${memory}${gpu})`;
}

export function RunJobForm(props: IRunJobFormProps): JSX.Element {
  const { state, trans } = props;
  const set = (patch: Partial<IRunJobFormState>) => props.onChange({ ...state, ...patch });
  const setRow = (index: number, patch: Partial<IParameterRow>) => {
    const parameters = state.parameters.map((row, i) => (i === index ? { ...row, ...patch } : row));
    set({ parameters });
  };
  const types = props.instanceTypes.length
    ? props.instanceTypes
    : [{ name: state.instanceType } as IInstanceType];
  return (
    <div className="jp-studio-RunJobForm" data-testid="run-job-form">
      <ErrorBox message={state.error} testid="run-job-error" />
      <label className="jp-studio-form-row">
        <span>{trans.__('Input')}</span>
        <input className="jp-mod-styled" value={state.input} readOnly data-testid="run-job-input" />
      </label>
      <label className="jp-studio-form-row">
        <span>{trans.__('Job name')}</span>
        <input
          className="jp-mod-styled"
          data-testid="run-job-name"
          name="name"
          value={state.name}
          onChange={e => set({ name: e.target.value })}
        />
      </label>

      <fieldset className="jp-studio-form-params">
        <legend>
          {state.kind === 'script'
            ? trans.__('Parameters (passed as --key value)')
            : trans.__('Parameters (values are JSON; other text is a string)')}
        </legend>
        {state.parametersNote ? (
          <div className="jp-studio-note" data-testid="run-job-params-note">
            {state.parametersNote}
          </div>
        ) : null}
        {state.parameters.map((row, index) => {
          const parsed = parseParameterValue(row.value);
          return (
            <div className="jp-studio-param-row" key={index} data-testid="run-job-param">
              <input
                className="jp-mod-styled jp-studio-param-key"
                data-testid="run-job-param-key"
                placeholder={trans.__('name')}
                value={row.key}
                onChange={e => setRow(index, { key: e.target.value })}
              />
              <input
                className="jp-mod-styled jp-studio-param-value"
                data-testid="run-job-param-value"
                placeholder={trans.__('value')}
                value={row.value}
                onChange={e => setRow(index, { value: e.target.value })}
              />
              <span
                className="jp-studio-param-type"
                title={row.declaredType ? trans.__('declared: %1', row.declaredType) : ''}
              >
                {valueType(parsed)}
              </span>
              <button
                className="jp-ToolbarButtonComponent jp-mod-minimal jp-Button jp-studio-icon-button"
                title={trans.__('Remove parameter')}
                onClick={() => set({ parameters: state.parameters.filter((_, i) => i !== index) })}
              >
                <closeIcon.react tag="span" />
              </button>
            </div>
          );
        })}
        <button
          className="jp-mod-styled jp-Button jp-studio-param-add"
          data-testid="run-job-param-add"
          onClick={() => set({ parameters: [...state.parameters, { key: '', value: '' }] })}
        >
          <addIcon.react tag="span" /> {trans.__('Add parameter')}
        </button>
      </fieldset>

      <label className="jp-studio-form-row">
        <span>{trans.__('Instance type')}</span>
        <select
          className="jp-mod-styled"
          data-testid="run-job-instance-type"
          value={state.instanceType}
          onChange={e => set({ instanceType: e.target.value })}
        >
          {types.map(type => (
            <option key={type.name} value={type.name}>
              {type.vcpus ? instanceLabel(type) : type.name}
            </option>
          ))}
        </select>
      </label>
      <div className="jp-studio-form-pair">
        <label className="jp-studio-form-row">
          <span>{trans.__('Timeout (minutes)')}</span>
          <input
            className="jp-mod-styled"
            data-testid="run-job-timeout"
            type="number"
            min="1"
            value={state.timeoutMinutes}
            onChange={e => set({ timeoutMinutes: e.target.value })}
          />
        </label>
        <label className="jp-studio-form-row">
          <span>{trans.__('Max retries')}</span>
          <input
            className="jp-mod-styled"
            data-testid="run-job-retries"
            type="number"
            min="0"
            max="10"
            value={state.maxRetries}
            onChange={e => set({ maxRetries: e.target.value })}
          />
        </label>
      </div>
      <label className="jp-studio-form-row">
        <span>{trans.__('Experiment name')}</span>
        <input
          className="jp-mod-styled"
          data-testid="run-job-experiment"
          placeholder={trans.__('default: the job name')}
          value={state.experimentName}
          onChange={e => set({ experimentName: e.target.value })}
        />
      </label>

      {props.canSchedule ? (
        <div className="jp-studio-form-mode" role="radiogroup">
          <label>
            <input
              type="radio"
              name="studio-run-mode"
              data-testid="run-job-mode-now"
              checked={state.mode === 'now'}
              onChange={() => set({ mode: 'now' })}
            />
            {trans.__('Run now')}
          </label>
          <label>
            <input
              type="radio"
              name="studio-run-mode"
              data-testid="run-job-mode-schedule"
              checked={state.mode === 'schedule'}
              onChange={() => set({ mode: 'schedule' })}
            />
            {trans.__('Schedule')}
          </label>
        </div>
      ) : null}
      {state.mode === 'schedule' ? (
        <fieldset className="jp-studio-form-schedule">
          <label className="jp-studio-form-row">
            <span>{trans.__('Cron expression')}</span>
            <input
              className="jp-mod-styled"
              data-testid="run-job-cron"
              placeholder="0 * * * *"
              value={state.schedule}
              onChange={e => set({ schedule: e.target.value })}
            />
          </label>
          <div className="jp-studio-hint">
            {trans.__('minute hour day-of-month month day-of-week, e.g. "30 6 * * 1-5"')}
          </div>
          <label className="jp-studio-form-row">
            <span>{trans.__('Timezone')}</span>
            <input
              className="jp-mod-styled"
              data-testid="run-job-timezone"
              value={state.timezone}
              onChange={e => set({ timezone: e.target.value })}
            />
          </label>
          <label className="jp-studio-form-row">
            <span>{trans.__('Missed runs')}</span>
            <select
              className="jp-mod-styled"
              data-testid="run-job-missed"
              value={state.missedRunPolicy}
              onChange={e => set({ missedRunPolicy: e.target.value as MissedRunPolicy })}
            >
              <option value="skip">{trans.__('Skip runs missed while the studio was down')}</option>
              <option value="run_once">{trans.__('Run once to catch up')}</option>
            </select>
          </label>
        </fieldset>
      ) : null}
    </div>
  );
}
