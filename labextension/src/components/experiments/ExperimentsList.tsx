/**
 * The Experiments sidebar: MLflow experiments (name filter), each opening its runs table.
 */
import * as React from 'react';

import { ExperimentsAPI, IDescribeExperiment } from '../../api';
import { formatTime } from '../../format';
import { IMlflowNav } from '../../tokens';
import { FilteredResourceList } from '../common/ResourceList';

function load(name: string | undefined) {
  return ExperimentsAPI.list({ name, max_items: 500 });
}

export function ExperimentsList(props: { nav: IMlflowNav; refreshKey: number }): JSX.Element {
  const { nav } = props;
  const trans = nav.trans;
  return (
    <FilteredResourceList<IDescribeExperiment>
      trans={trans}
      title={trans.__('Experiments')}
      kind="experiments"
      refreshKey={props.refreshKey}
      load={load}
      empty={{
        filtered: trans.__('No experiment matches the filter.'),
        none: trans.__('No experiments yet. Jobs log their runs to MLflow experiments.')
      }}
      row={exp => ({
        key: exp.experiment_id,
        className: 'jp-studio-experiment-row',
        data: { 'experiment-id': exp.experiment_id, name: exp.name },
        testid: 'experiment-row',
        name: exp.name,
        aside: <span className="jp-studio-muted">#{exp.experiment_id}</span>,
        meta: <span title={trans.__('Last updated')}>{formatTime(exp.last_update_time)}</span>,
        onOpen: () => nav.openExperiment(exp.experiment_id, exp.name)
      })}
    />
  );
}
