/**
 * The main-area view of one job; owns its JobDetailModel, which polls while the view is shown.
 */
import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IJobDetailProps, JobDetail } from '../components/jobs/JobDetail';
import { JobDetailModel } from '../models/JobDetailModel';
import { followVisibility } from './visibility';

export type IJobDetailActions = Omit<IJobDetailProps, 'model' | 'trans'>;

class JobDetailContent extends ReactWidget {
  constructor(
    readonly model: JobDetailModel,
    private _trans: TranslationBundle,
    private _actions: IJobDetailActions
  ) {
    super();
    this.addClass('jp-studio-JobDetailContent');
  }

  protected render(): JSX.Element {
    return <JobDetail model={this.model} trans={this._trans} {...this._actions} />;
  }
}

export class JobDetailWidget extends MainAreaWidget<ReactWidget> {
  constructor(jobId: string, trans: TranslationBundle, icon: LabIcon, actions: IJobDetailActions) {
    const model = new JobDetailModel(jobId);
    super({ content: new JobDetailContent(model, trans, actions) });
    this.model = model;
    this.id = `jp-studio-job-${jobId}`;
    this.addClass('jp-studio-JobDetailWidget');
    this.node.setAttribute('data-job-id', jobId);
    this.title.icon = icon;
    this.title.label = trans.__('Job %1', jobId.slice(0, 8));
    this.title.closable = true;
    followVisibility(this, visible => model.setVisible(visible));
    model.changed.connect(() => {
      if (model.job) {
        // Many jobs share a name (every run of train.ipynb is "train"): the tab says which one.
        this.title.label = trans.__('Job: %1 · %2', model.job.name, jobId.slice(0, 6));
        this.title.caption = `${model.job.name} (${model.job.status})\n${model.job.kind}: ${model.job.input}\n${jobId}`;
      }
    }, this);
  }

  readonly model: JobDetailModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }
}
