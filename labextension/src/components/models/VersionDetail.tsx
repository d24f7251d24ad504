/**
 * One model version: status, source run and job, signature, input example, lineage and Reproduce.
 */
import * as React from 'react';

import { ModelsAPI } from '../../api';
import { formatTime, formatValue } from '../../format';
import { IMlflowNav } from '../../tokens';
import { Field, KeyValueTable, LinkButton } from '../common/controls';
import { ErrorBox } from '../common/ErrorBox';
import { useAction, useRequest } from '../common/hooks';
import { TagsEditor } from './TagsEditor';

/** MLflow stores signature parts as JSON text: `[{"name": "x", "type": "double"}, ...]`. */
function SchemaTable(props: { title: string; schema: unknown }): JSX.Element | null {
  if (props.schema === null || props.schema === undefined || props.schema === '') {
    return null;
  }
  let parsed: unknown = props.schema;
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed);
    } catch {
      // not JSON: show the text as stored
    }
  }
  const columns = Array.isArray(parsed) ? (parsed as Record<string, unknown>[]) : null;
  return (
    <div className="jp-studio-schema" data-testid={`signature-${props.title.toLowerCase()}`}>
      <h4>{props.title}</h4>
      {columns ? (
        <table className="jp-studio-kv">
          <tbody>
            {columns.map((column, i) => (
              <tr key={i}>
                <th>{formatValue(column.name ?? `#${i}`)}</th>
                <td>
                  {formatValue(column.type)}
                  {column.tensor_spec ? ` ${JSON.stringify(column.tensor_spec)}` : ''}
                  {column.required === false ? ' (optional)' : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <pre className="jp-studio-json">{formatValue(parsed)}</pre>
      )}
    </div>
  );
}

export function VersionDetail(props: {
  nav: IMlflowNav;
  name: string;
  version: string;
  onChanged: () => void;
}): JSX.Element {
  const { nav, name, version } = props;
  const trans = nav.trans;
  const state = useRequest(() => ModelsAPI.getVersion(name, version), [name, version]);
  const reproduction = useAction();
  const [newJob, setNewJob] = React.useState<string | null>(null);
  const v = state.data;
  const lineage = v?.lineage;
  const reproduce = () =>
    reproduction.run(async () => {
      const answer = await ModelsAPI.reproduceVersion(name, version);
      setNewJob(answer.job_id);
      nav.showJobs(answer.job_id);
    });
  return (
    <section
      className="jp-studio-section jp-studio-VersionDetail"
      data-testid="version-detail"
      data-version={version}
    >
      <h3>{trans.__('Version %1', version)}</h3>
      <ErrorBox message={state.error} />
      {v && lineage ? (
        <>
          <dl className="jp-studio-fields">
            <Field label={trans.__('Status')} testid="version-status">
              {v.status}
              {v.status_message ? ` (${v.status_message})` : ''}
            </Field>
            <Field label={trans.__('Aliases')}>
              {v.aliases.length ? v.aliases.map(a => `@${a}`).join(', ') : '—'}
            </Field>
            <Field label={trans.__('Created')}>{formatTime(v.creation_time)}</Field>
            <Field label={trans.__('Source')}>
              <code>{v.source ?? ''}</code>
            </Field>
            <Field label={trans.__('Source run')} testid="version-run">
              {v.run_id ? (
                <LinkButton onClick={() => nav.openRun(v.run_id!)} testid="version-run-link">
                  {v.run_id}
                </LinkButton>
              ) : (
                '—'
              )}
            </Field>
            <Field label={trans.__('Source job')} testid="version-job">
              {lineage.job_id ? (
                <>
                  <LinkButton
                    onClick={() => nav.openJob(lineage.job_id!)}
                    testid="version-job-link"
                  >
                    {lineage.job_name ?? lineage.job_id}
                  </LinkButton>
                  {lineage.job_status ? (
                    <span className="jp-studio-muted"> ({lineage.job_status})</span>
                  ) : null}
                </>
              ) : (
                <span className="jp-studio-muted">{trans.__('not produced by a studio job')}</span>
              )}
            </Field>
            {lineage.job_input ? (
              <Field label={trans.__('Job input')} testid="version-job-input">
                <code>{lineage.job_input}</code>
              </Field>
            ) : null}
            {lineage.job_snapshot ? (
              <Field label={trans.__('Input snapshot')}>
                <code>{lineage.job_snapshot}</code>
              </Field>
            ) : null}
            {lineage.reproduces_job_id ? (
              <Field label={trans.__('Reproduces job')}>
                <LinkButton onClick={() => nav.openJob(lineage.reproduces_job_id!)}>
                  {lineage.reproduces_job_id}
                </LinkButton>
              </Field>
            ) : null}
          </dl>
          <h4>{trans.__('Parameters')}</h4>
          <KeyValueTable
            values={lineage.parameters}
            empty={trans.__('No parameters.')}
            testid="version-parameters"
          />
          <div className="jp-studio-actions">
            <button
              className="jp-Button jp-mod-styled jp-mod-accept"
              data-testid="version-reproduce"
              disabled={reproduction.busy || !lineage.job_id}
              title={
                lineage.job_id
                  ? trans.__('Run the job again on the same input snapshot and parameters')
                  : trans.__('Only versions produced by a studio job can be reproduced')
              }
              onClick={() => void reproduce()}
            >
              {trans.__('Reproduce')}
            </button>
            {nav.deployVersion ? (
              <button
                className="jp-Button jp-mod-styled"
                data-testid="version-deploy"
                title={trans.__('Deploy this version as a real-time endpoint')}
                onClick={() => nav.deployVersion!(name, version)}
              >
                {trans.__('Deploy')}
              </button>
            ) : null}
            {newJob ? (
              <span className="jp-studio-success" data-testid="version-reproduced">
                {trans.__('New job')}{' '}
                <LinkButton onClick={() => nav.openJob(newJob)}>{newJob.slice(0, 8)}</LinkButton>
              </span>
            ) : null}
          </div>
          <ErrorBox message={reproduction.error} />
          <h4>{trans.__('Signature')}</h4>
          {v.signature ? (
            <div className="jp-studio-columns-2">
              <SchemaTable title={trans.__('Inputs')} schema={v.signature.inputs} />
              <SchemaTable title={trans.__('Outputs')} schema={v.signature.outputs} />
              <SchemaTable title={trans.__('Params')} schema={v.signature.params} />
            </div>
          ) : (
            <div className="jp-studio-empty">{trans.__('No signature was logged.')}</div>
          )}
          <h4>{trans.__('Input example')}</h4>
          {v.input_example !== null && v.input_example !== undefined ? (
            <pre className="jp-studio-json" data-testid="version-input-example">
              {JSON.stringify(v.input_example, null, 2)}
            </pre>
          ) : (
            <div className="jp-studio-empty">{trans.__('No input example was logged.')}</div>
          )}
          <h4>{trans.__('Description and tags')}</h4>
          <TagsEditor
            nav={nav}
            description={v.description}
            tags={v.tags}
            testid="version-tags"
            save={async body => {
              await ModelsAPI.updateVersion(name, version, body);
              state.reload();
            }}
          />
        </>
      ) : null}
    </section>
  );
}
