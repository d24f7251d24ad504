/**
 * The main-area view of one experiment: its name and tags over the runs table.
 */
import * as React from 'react';

import { ExperimentsAPI } from '../../api';
import { formatTime } from '../../format';
import { IMlflowNav } from '../../tokens';
import { ErrorBox } from '../common/ErrorBox';
import { useRequest } from '../common/hooks';
import { RunsTable } from './RunsTable';

export function ExperimentView(props: {
  nav: IMlflowNav;
  experimentId: string;
  onName?: (name: string) => void;
}): JSX.Element {
  const { nav, experimentId } = props;
  const trans = nav.trans;
  const experiment = useRequest(() => ExperimentsAPI.get(experimentId), [experimentId]);
  const exp = experiment.data;
  const { onName } = props;
  const name = exp?.name;
  React.useEffect(() => {
    if (name !== undefined && onName) {
      onName(name); // the tab's label
    }
  }, [name, onName]);
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
      <ErrorBox message={experiment.error} />
      <RunsTable nav={nav} experimentId={experimentId} />
    </div>
  );
}
