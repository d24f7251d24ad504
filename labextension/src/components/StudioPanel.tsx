/**
 * The sidebar's content: a "Jobs" and a "Schedules" tab over the two lists.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { JobsModel, SchedulesModel } from '../model';
import { JobsList } from './JobsList';
import { SchedulesList } from './SchedulesList';

export type StudioTab = 'jobs' | 'schedules';

export interface IStudioPanelProps {
  tab: StudioTab;
  jobs: JobsModel;
  schedules: SchedulesModel;
  trans: TranslationBundle;
  onTab: (tab: StudioTab) => void;
  onOpenJob: (jobId: string) => void;
  onStopJob: (jobId: string) => void;
}

export function StudioPanel(props: IStudioPanelProps): JSX.Element {
  const { trans, tab } = props;
  const tabButton = (id: StudioTab, label: string) => (
    <button
      role="tab"
      aria-selected={tab === id}
      className={`jp-studio-tab${tab === id ? ' jp-mod-current' : ''}`}
      data-testid={`studio-tab-${id}`}
      onClick={() => props.onTab(id)}
    >
      {label}
    </button>
  );
  return (
    <div className="jp-studio-panel-content">
      <div className="jp-studio-header">
        <h2 className="jp-studio-title">{trans.__('Jobs')}</h2>
      </div>
      <div className="jp-studio-tabs" role="tablist">
        {tabButton('jobs', trans.__('Jobs'))}
        {tabButton('schedules', trans.__('Schedules'))}
      </div>
      <div className="jp-studio-tab-body">
        {tab === 'jobs' ? (
          <JobsList
            model={props.jobs}
            trans={trans}
            onOpen={props.onOpenJob}
            onStop={props.onStopJob}
          />
        ) : (
          <SchedulesList model={props.schedules} trans={trans} onOpenJob={props.onOpenJob} />
        )}
      </div>
    </div>
  );
}
