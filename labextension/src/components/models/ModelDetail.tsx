/**
 * One registered model: description and tags, aliases (set, move, delete), versions, and the
 * selected version's detail (signature, input example, lineage, Reproduce).
 */
import * as React from 'react';

import { IDescribeRegisteredModel, ModelsAPI } from '../../api';
import { formatTime } from '../../format';
import { IMlflowNav } from '../../tokens';
import { LinkButton, RefreshButton } from '../common/controls';
import { ErrorBox } from '../common/ErrorBox';
import { useAction, useOnChange, useRequest } from '../common/hooks';
import { TagsEditor } from './TagsEditor';
import { VersionDetail } from './VersionDetail';

function Aliases(props: {
  nav: IMlflowNav;
  model: IDescribeRegisteredModel;
  onChanged: () => void;
}): JSX.Element {
  const { nav, model } = props;
  const trans = nav.trans;
  const versions = model.versions.map(v => v.version);
  const [targets, setTargets] = React.useState<Record<string, string>>({});
  const [newAlias, setNewAlias] = React.useState('');
  const [newVersion, setNewVersion] = React.useState('');
  const action = useAction();
  const busy = action.busy;
  useOnChange(model, () => setTargets({}));
  const act = (change: () => Promise<void>) =>
    action.run(async () => {
      await change();
      props.onChanged();
      nav.modelsChanged();
    });
  const aliases = Object.entries(model.aliases).sort(([a], [b]) => a.localeCompare(b));
  const versionSelect = (value: string, onChange: (v: string) => void, testid: string) => (
    <select
      className="jp-mod-styled"
      data-testid={testid}
      value={value}
      onChange={event => onChange(event.target.value)}
    >
      {versions.map(v => (
        <option key={v} value={v}>
          {trans.__('version %1', v)}
        </option>
      ))}
    </select>
  );
  return (
    <div className="jp-studio-aliases" data-testid="model-aliases">
      {aliases.length === 0 ? (
        <div className="jp-studio-empty">{trans.__('No aliases yet.')}</div>
      ) : (
        <table className="jp-studio-table">
          <tbody>
            {aliases.map(([alias, version]) => {
              const target = targets[alias] ?? version;
              return (
                <tr
                  key={alias}
                  className="jp-studio-alias-row"
                  data-alias={alias}
                  data-version={version}
                  data-testid="alias-row"
                >
                  <th>@{alias}</th>
                  <td>→ v{version}</td>
                  <td>
                    {versionSelect(
                      target,
                      v => setTargets({ ...targets, [alias]: v }),
                      'alias-version'
                    )}
                  </td>
                  <td>
                    <button
                      className="jp-Button jp-mod-styled jp-mod-accept"
                      data-testid="alias-move"
                      disabled={busy || target === version}
                      onClick={() => void act(() => ModelsAPI.setAlias(model.name, alias, target))}
                    >
                      {trans.__('Move')}
                    </button>{' '}
                    <button
                      className="jp-Button jp-mod-styled jp-mod-warn"
                      data-testid="alias-delete"
                      disabled={busy}
                      onClick={() => void act(() => ModelsAPI.deleteAlias(model.name, alias))}
                    >
                      {trans.__('Delete')}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <div className="jp-studio-toolbar">
        <input
          className="jp-mod-styled"
          data-testid="alias-new-name"
          placeholder={trans.__('alias, e.g. champion')}
          value={newAlias}
          onChange={event => setNewAlias(event.target.value)}
        />
        {versionSelect(newVersion || versions[0] || '', setNewVersion, 'alias-new-version')}
        <button
          className="jp-Button jp-mod-styled jp-mod-reject"
          data-testid="alias-add"
          disabled={busy || !newAlias.trim() || versions.length === 0}
          onClick={() =>
            void act(async () => {
              await ModelsAPI.setAlias(model.name, newAlias.trim(), newVersion || versions[0]);
              setNewAlias('');
            })
          }
        >
          {trans.__('Set alias')}
        </button>
      </div>
      <ErrorBox message={action.error} />
    </div>
  );
}

export function ModelDetail(props: {
  nav: IMlflowNav;
  name: string;
  version?: string;
}): JSX.Element {
  const { nav, name } = props;
  const trans = nav.trans;
  const state = useRequest(() => ModelsAPI.get(name), [name]);
  const [selected, setSelected] = React.useState<string | null>(props.version ?? null);
  useOnChange(props.version, version => {
    if (version) {
      setSelected(version); // opened again for another version
    }
  });
  const model = state.data;
  const current = selected ?? model?.versions[0]?.version ?? null;
  return (
    <div
      className="jp-studio-ModelDetail jp-studio-page"
      data-testid="model-detail"
      data-model-name={name}
    >
      <div className="jp-studio-detail-header">
        <h2 className="jp-studio-detail-title">{name}</h2>
        <span className="jp-studio-spacer" />
        <RefreshButton title={trans.__('Refresh')} testid="model-refresh" onClick={state.reload} />
      </div>
      <ErrorBox message={state.error} />
      {model ? (
        <>
          <section className="jp-studio-section">
            <h3>{trans.__('Description and tags')}</h3>
            <TagsEditor
              nav={nav}
              description={model.description}
              tags={model.tags}
              testid="model-tags"
              save={async body => {
                await ModelsAPI.update(name, body);
                state.reload();
              }}
            />
          </section>
          <section className="jp-studio-section">
            <h3>{trans.__('Aliases')}</h3>
            <Aliases nav={nav} model={model} onChanged={state.reload} />
          </section>
          <section className="jp-studio-section">
            <h3>{trans.__('Versions')}</h3>
            <div className="jp-studio-table-scroll">
              <table className="jp-studio-table" data-testid="model-versions">
                <thead>
                  <tr>
                    <th>{trans.__('Version')}</th>
                    <th>{trans.__('Status')}</th>
                    <th>{trans.__('Aliases')}</th>
                    <th>{trans.__('Source run')}</th>
                    <th>{trans.__('Created')}</th>
                    <th>{trans.__('Description')}</th>
                  </tr>
                </thead>
                <tbody>
                  {model.versions.map(v => (
                    <tr
                      key={v.version}
                      className={`jp-studio-version-row${v.version === current ? ' jp-mod-selected' : ''}`}
                      data-version={v.version}
                      data-testid="version-row"
                      onClick={() => setSelected(v.version)}
                    >
                      <td>v{v.version}</td>
                      <td>{v.status}</td>
                      <td>
                        {v.aliases.map(alias => (
                          <span key={alias} className="jp-studio-chip">
                            @{alias}
                          </span>
                        ))}
                      </td>
                      <td>
                        {v.run_id ? (
                          <LinkButton onClick={() => nav.openRun(v.run_id!)}>
                            {v.run_id.slice(0, 8)}
                          </LinkButton>
                        ) : null}
                      </td>
                      <td>{formatTime(v.creation_time)}</td>
                      <td>{v.description ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          {current ? (
            <VersionDetail
              key={`${current}-${JSON.stringify(model.aliases)}-${model.last_updated_time}`}
              nav={nav}
              name={name}
              version={current}
              onChanged={state.reload}
            />
          ) : null}
        </>
      ) : null}
    </div>
  );
}
