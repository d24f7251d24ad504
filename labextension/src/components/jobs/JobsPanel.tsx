/**
 * The Jobs sidebar's content: a "Jobs" and a "Schedules" tab over the two lists.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { JobsModel } from '../../models/JobsModel';
import { SchedulesModel } from '../../models/SchedulesModel';
import { SchedulesList } from '../schedules/SchedulesList';
import { JobsList } from './JobsList';

export type JobsTab = 'jobs' | 'schedules';

export interface IJobsPanelProps {
  tab: JobsTab;
  jobs: JobsModel;
  /** null when the server has no schedules: no Schedules tab. */
  schedules: SchedulesModel | null;
  trans: TranslationBundle;
  onTab: (tab: JobsTab) => void;
  onOpenJob: (jobId: string) => void;
  onStopJob: (jobId: string) => void;
}

export function JobsPanel(props: IJobsPanelProps): JSX.Element {
  const { trans, tab, schedules } = props;
  const tabButton = (id: JobsTab, label: string) => (
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
        {schedules ? tabButton('schedules', trans.__('Schedules')) : null}
      </div>
      <div className="jp-studio-tab-body">
        {tab === 'schedules' && schedules ? (
          <SchedulesList model={schedules} trans={trans} onOpenJob={props.onOpenJob} />
        ) : (
          <JobsList
            model={props.jobs}
            trans={trans}
            onOpen={props.onOpenJob}
            onStop={props.onStopJob}
          />
        )}
      </div>
    </div>
  );
}
