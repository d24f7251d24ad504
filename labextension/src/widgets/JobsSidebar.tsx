/**
 * The left-sidebar shell of the Jobs panel; tells the models when they are shown so they poll.
 */
import { ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { JobsPanel, JobsTab } from '../components/jobs/JobsPanel';
import { JobsModel } from '../models/JobsModel';
import { SchedulesModel } from '../models/SchedulesModel';
import { followVisibility } from './visibility';

export interface IJobsSidebarOptions {
  jobs: JobsModel;
  /** null when the server has no schedules: no Schedules tab. */
  schedules: SchedulesModel | null;
  trans: TranslationBundle;
  icon: LabIcon;
  onOpenJob: (jobId: string) => void;
  onStopJob: (jobId: string) => void;
}

export class JobsSidebar extends ReactWidget {
  constructor(private _options: IJobsSidebarOptions) {
    super();
    this.id = 'jp-studio-jobs-panel';
    this.addClass('jp-studio-JobsPanel');
    this.title.icon = _options.icon;
    this.title.caption = _options.trans.__('Jobs');
    this.node.setAttribute('data-testid', 'studio-jobs-panel');
    followVisibility(this, shown => {
      this._shown = shown;
      this._syncVisibility();
    });
  }

  get tab(): JobsTab {
    return this._tab;
  }

  set tab(value: JobsTab) {
    if (value === 'schedules' && !this._options.schedules) {
      return;
    }
    if (value !== this._tab) {
      this._tab = value;
      this._syncVisibility();
      this.update();
    }
  }

  protected render(): JSX.Element {
    const o = this._options;
    return (
      <JobsPanel
        tab={this._tab}
        jobs={o.jobs}
        schedules={o.schedules}
        trans={o.trans}
        onTab={tab => (this.tab = tab)}
        onOpenJob={o.onOpenJob}
        onStopJob={o.onStopJob}
      />
    );
  }

  /** Only the model on the visible tab polls. */
  private _syncVisibility(): void {
    this._options.jobs.setVisible(this._shown && this._tab === 'jobs');
    this._options.schedules?.setVisible(this._shown && this._tab === 'schedules');
  }

  private _shown = false;
  private _tab: JobsTab = 'jobs';
}
