/**
 * The left-sidebar shell of the Jobs panel; tells the models when it is shown so they poll.
 */
import { ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { StudioPanel, StudioTab } from '../components/StudioPanel';
import { JobsModel, SchedulesModel } from '../model';

export interface IStudioSidebarOptions {
  jobs: JobsModel;
  schedules: SchedulesModel;
  trans: TranslationBundle;
  icon: LabIcon;
  onOpenJob: (jobId: string) => void;
  onStopJob: (jobId: string) => void;
}

export class StudioSidebar extends ReactWidget {
  constructor(options: IStudioSidebarOptions) {
    super();
    this._options = options;
    this.id = 'jp-studio-jobs-panel';
    this.addClass('jp-studio-JobsPanel');
    this.title.icon = options.icon;
    this.title.caption = options.trans.__('Jobs');
    this.node.setAttribute('data-testid', 'studio-jobs-panel');
  }

  get tab(): StudioTab {
    return this._tab;
  }

  set tab(value: StudioTab) {
    if (value !== this._tab) {
      this._tab = value;
      this._syncVisibility();
      this.update();
    }
  }

  protected render(): JSX.Element {
    const o = this._options;
    return (
      <StudioPanel
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

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._syncVisibility();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._syncVisibility();
  }

  /** Only the model on the visible tab polls. */
  private _syncVisibility(): void {
    const shown = this.isVisible;
    this._options.jobs.setVisible(shown && this._tab === 'jobs');
    this._options.schedules.setVisible(shown && this._tab === 'schedules');
  }

  private _options: IStudioSidebarOptions;
  private _tab: StudioTab = 'jobs';
}
