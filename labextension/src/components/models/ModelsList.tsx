/**
 * The Models sidebar: registered models with their latest version and aliases.
 */
import { refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatTime } from '../../format';
import { MlflowAPI } from '../../mlflowApi';
import { ErrorBox } from '../common';
import { IMlflowNav, useRequest } from '../experiments/shared';

export function ModelsList(props: { nav: IMlflowNav; refreshKey: number }): JSX.Element {
  const { nav } = props;
  const trans = nav.trans;
  const [name, setName] = React.useState('');
  const [query, setQuery] = React.useState('');
  React.useEffect(() => {
    const timer = window.setTimeout(() => setQuery(name.trim()), 300);
    return () => window.clearTimeout(timer);
  }, [name]);
  const models = useRequest(
    () => MlflowAPI.listModels({ name: query || undefined, max_items: 500 }),
    [query, props.refreshKey]
  );
  const items = models.data?.items ?? [];
  return (
    <div className="jp-studio-panel-content">
      <div className="jp-studio-header">
        <h2 className="jp-studio-title">{trans.__('Models')}</h2>
      </div>
      <div className="jp-studio-filter">
        <input
          className="jp-studio-filter-grow jp-mod-styled"
          data-testid="models-filter"
          type="search"
          placeholder={trans.__('Filter by name')}
          value={name}
          onChange={event => setName(event.target.value)}
        />
        <button
          className="jp-ToolbarButtonComponent jp-mod-minimal jp-Button jp-studio-icon-button"
          title={trans.__('Refresh')}
          data-testid="models-refresh"
          onClick={models.reload}
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
      <div className="jp-studio-tab-body">
        <ErrorBox message={models.error} />
        {!models.loading && !models.error && items.length === 0 ? (
          <div className="jp-studio-empty" data-testid="models-empty">
            {query
              ? trans.__('No model matches the filter.')
              : trans.__("No registered models yet. Register one from a run's artifacts.")}
          </div>
        ) : null}
        <ul className="jp-studio-mlflow-list" data-testid="models-list">
          {items.map(model => (
            <li
              key={model.name}
              className="jp-studio-list-row jp-studio-model-row"
              data-model-name={model.name}
              data-testid="model-row"
              tabIndex={0}
              onClick={() => nav.openModel(model.name)}
              onKeyDown={event => {
                if (event.key === 'Enter') {
                  nav.openModel(model.name);
                }
              }}
            >
              <div className="jp-studio-list-row-top">
                <span className="jp-studio-list-name">{model.name}</span>
                {model.latest_version ? (
                  <span className="jp-studio-muted">v{model.latest_version}</span>
                ) : null}
              </div>
              <div className="jp-studio-list-meta">
                {Object.entries(model.aliases)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([alias, version]) => (
                    <span key={alias} className="jp-studio-chip" data-alias={alias}>
                      @{alias} → v{version}
                    </span>
                  ))}
                <span title={trans.__('Last updated')}>{formatTime(model.last_updated_time)}</span>
              </div>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
