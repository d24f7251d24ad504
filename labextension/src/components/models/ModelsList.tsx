/**
 * The Models sidebar: registered models with their latest version and aliases.
 */
import * as React from 'react';

import { IRegisteredModelSummary, ModelsAPI } from '../../api';
import { formatTime } from '../../format';
import { IMlflowNav } from '../../tokens';
import { FilteredResourceList } from '../common/ResourceList';

function load(name: string | undefined) {
  return ModelsAPI.list({ name, max_items: 500 });
}

export function ModelsList(props: { nav: IMlflowNav; refreshKey: number }): JSX.Element {
  const { nav } = props;
  const trans = nav.trans;
  return (
    <FilteredResourceList<IRegisteredModelSummary>
      trans={trans}
      title={trans.__('Models')}
      kind="models"
      refreshKey={props.refreshKey}
      load={load}
      empty={{
        filtered: trans.__('No model matches the filter.'),
        none: trans.__("No registered models yet. Register one from a run's artifacts.")
      }}
      row={model => ({
        key: model.name,
        className: 'jp-studio-model-row',
        data: { 'model-name': model.name },
        testid: 'model-row',
        name: model.name,
        aside: model.latest_version ? (
          <span className="jp-studio-muted">v{model.latest_version}</span>
        ) : null,
        meta: (
          <>
            {Object.entries(model.aliases)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([alias, version]) => (
                <span key={alias} className="jp-studio-chip" data-alias={alias}>
                  @{alias} → v{version}
                </span>
              ))}
            <span title={trans.__('Last updated')}>{formatTime(model.last_updated_time)}</span>
          </>
        ),
        onOpen: () => nav.openModel(model.name)
      })}
    />
  );
}
