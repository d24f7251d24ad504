/**
 * The main-area view of one experiment: its name and tags over the runs table.
 */
import * as React from 'react';

import { formatTime } from '../../format';
import { MlflowAPI } from '../../mlflowApi';
import { RunsTable } from './RunsTable';
import { IMlflowNav, useRequest } from './shared';

export function ExperimentView(props: {
  nav: IMlflowNav;
  experimentId: string;
  onName?: (name: string) => void;
}): JSX.Element {
  const { nav, experimentId } = props;
  const trans = nav.trans;
  const experiment = useRequest(() => MlflowAPI.getExperiment(experimentId), [experimentId]);
  const exp = experiment.data;
  React.useEffect(() => {
    if (exp && props.onName) {
      props.onName(exp.name);
    }
  }, [exp?.name]);
  return (
    <div
      className="jp-studio-ExperimentView jp-studio-page"
      data-testid="experiment-view"
      data-experiment-id={experimentId}
    >
      <div className="jp-studio-detail-header">
        <h2 className="jp-studio-detail-title">
          {exp?.name ?? trans.__('Experiment %1', experimentId)}
        </h2>
        <span className="jp-studio-muted">#{experimentId}</span>
        <span className="jp-studio-spacer" />
        {exp?.last_update_time ? (
          <span className="jp-studio-muted">
            {trans.__('updated %1', formatTime(exp.last_update_time))}
          </span>
        ) : null}
      </div>
      {experiment.error ? <div className="jp-studio-error">{experiment.error}</div> : null}
      <RunsTable nav={nav} experimentId={experimentId} />
    </div>
  );
}
