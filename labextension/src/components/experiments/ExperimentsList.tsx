/**
 * The Experiments sidebar: MLflow experiments (name filter), each opening its runs table.
 */
import { refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatTime } from '../../format';
import { MlflowAPI } from '../../mlflowApi';
import { ErrorBox } from '../common';
import { IMlflowNav, useRequest } from './shared';

export function ExperimentsList(props: { nav: IMlflowNav; refreshKey: number }): JSX.Element {
  const { nav } = props;
  const trans = nav.trans;
  const [name, setName] = React.useState('');
  const [query, setQuery] = React.useState('');
  React.useEffect(() => {
    // Debounced: one request per pause in typing.
    const timer = window.setTimeout(() => setQuery(name.trim()), 300);
    return () => window.clearTimeout(timer);
  }, [name]);
  const experiments = useRequest(
    () => MlflowAPI.listExperiments({ name: query || undefined, max_items: 500 }),
    [query, props.refreshKey]
  );
  const items = experiments.data?.items ?? [];
  return (
    <div className="jp-studio-panel-content">
      <div className="jp-studio-header">
        <h2 className="jp-studio-title">{trans.__('Experiments')}</h2>
      </div>
      <div className="jp-studio-filter">
        <input
          className="jp-studio-filter-grow jp-mod-styled"
          data-testid="experiments-filter"
          type="search"
          placeholder={trans.__('Filter by name')}
          value={name}
          onChange={event => setName(event.target.value)}
        />
        <button
          className="jp-ToolbarButtonComponent jp-mod-minimal jp-Button jp-studio-icon-button"
          title={trans.__('Refresh')}
          data-testid="experiments-refresh"
          onClick={experiments.reload}
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
      <div className="jp-studio-tab-body">
        <ErrorBox message={experiments.error} />
        {!experiments.loading && !experiments.error && items.length === 0 ? (
          <div className="jp-studio-empty" data-testid="experiments-empty">
            {query
              ? trans.__('No experiment matches the filter.')
              : trans.__('No experiments yet. Jobs log their runs to MLflow experiments.')}
          </div>
        ) : null}
        <ul className="jp-studio-mlflow-list" data-testid="experiments-list">
          {items.map(exp => (
            <li
              key={exp.experiment_id}
              className="jp-studio-list-row jp-studio-experiment-row"
              data-experiment-id={exp.experiment_id}
              data-name={exp.name}
              data-testid="experiment-row"
              tabIndex={0}
              onClick={() => nav.openExperiment(exp.experiment_id, exp.name)}
              onKeyDown={event => {
                if (event.key === 'Enter') {
                  nav.openExperiment(exp.experiment_id, exp.name);
                }
              }}
            >
              <div className="jp-studio-list-row-top">
                <span className="jp-studio-list-name">{exp.name}</span>
                <span className="jp-studio-muted">#{exp.experiment_id}</span>
              </div>
              <div className="jp-studio-list-meta">
                <span title={trans.__('Last updated')}>{formatTime(exp.last_update_time)}</span>
              </div>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
