/**
 * TrainStudio: the Train sidebar (the algorithm catalog and the training form). A submitted job
 * opens in the Jobs views, which chart its metrics per epoch.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { ITrainNav, TrainPanel } from '../components/training/TrainPanel';
import { trainIcon } from '../icons';
import { CommandIDs } from '../tokens';
import { ListSidebar } from '../widgets/shells';

export class TrainStudio implements ITrainNav {
  constructor(
    private _app: JupyterFrontEnd,
    readonly trans: TranslationBundle,
    private _browsers: IFileBrowserFactory | null
  ) {
    this.sidebar = new ListSidebar({
      id: 'jp-studio-train-panel',
      className: 'jp-studio-TrainSidebar',
      testid: 'studio-train-panel',
      caption: trans.__('Train'),
      icon: trainIcon,
      render: refreshKey => React.createElement(TrainPanel, { nav: this, refreshKey })
    });
  }

  readonly sidebar: ListSidebar;

  openJob(jobId: string): void {
    void this._app.commands.execute(CommandIDs.openJob, { jobId });
  }

  selectedPath(): string | null {
    const item = this._browsers?.tracker.currentWidget?.selectedItems().next();
    return item && !item.done && item.value ? item.value.path : null;
  }
}
