/**
 * The studio_ext JupyterLab plugins: Jobs (the handshake), Run as job, Experiments/Models, Endpoints,
 * Train, Tuning.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ConfigAPI, IStudioConfig } from './api';
import { addEndpointsCommands } from './commands/endpoints';
import { addJobsCommands, addRunAsJob, followJobsSettings } from './commands/jobs';
import { addMlflowCommands } from './commands/mlflow';
import { addTuningCommands } from './commands/tuning';
import { EndpointsStudio } from './studio/EndpointsStudio';
import { JobsStudio } from './studio/JobsStudio';
import { MlflowStudio } from './studio/MlflowStudio';
import { TrainStudio } from './studio/TrainStudio';
import { TuningStudio } from './studio/TuningStudio';
import { IStudio } from './tokens';

/** Every plugin's strings come from one bundle. */
function bundle(translator: ITranslator | null) {
  return (translator ?? nullTranslator).load('studio_ext');
}

/**
 * The version handshake (GET studio/api/config), then the Jobs panel. Provides IStudio, so without
 * the server extension no studio plugin starts and one notification says why.
 */
const jobsPlugin: JupyterFrontEndPlugin<IStudio> = {
  id: 'studio_ext:jobs',
  description: 'The Jobs and Schedules panel of studio_ext.',
  autoStart: true,
  provides: IStudio,
  optional: [ITranslator, ILayoutRestorer, ICommandPalette, ISettingRegistry],
  activate: async (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null
  ): Promise<IStudio> => {
    const trans = bundle(translator);
    let config: IStudioConfig;
    try {
      config = await ConfigAPI.get();
    } catch (error) {
      // Without the server extension every panel would only show errors: say so once instead.
      console.error('studio_ext: GET studio/api/config failed', error);
      Notification.error(
        trans.__(
          'studio_ext server extension is not running, so the Jobs panel is off. Run `jupyter server extension enable studio_ext` and restart JupyterLab.'
        ),
        { autoClose: false }
      );
      throw error;
    }
    console.debug(
      `studio_ext: server extension ${config.version}, features ${config.features.join(',')}`
    );
    const studio = new JobsStudio(app, config, trans);
    if (studio.hasFeature('jobs')) {
      app.shell.add(studio.sidebar, 'left', { rank: 600 });
      addJobsCommands(app, studio, trans, restorer, palette);
      if (settingRegistry) {
        followJobsSettings(settingRegistry, jobsPlugin.id, studio);
      }
    }
    return studio;
  }
};

/** "Run as job": notebook toolbar button, file-browser context menu and palette entry. */
const runAsJobPlugin: JupyterFrontEndPlugin<void> = {
  id: 'studio_ext:run-as-job',
  description: 'Run a notebook or a Python file as a studio job.',
  autoStart: true,
  requires: [IStudio],
  optional: [ITranslator, IFileBrowserFactory, INotebookTracker, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    studio: IStudio,
    translator: ITranslator | null,
    browserFactory: IFileBrowserFactory | null,
    notebooks: INotebookTracker | null,
    palette: ICommandPalette | null
  ): void => {
    if (studio.hasFeature('jobs')) {
      addRunAsJob(app, studio, bundle(translator), browserFactory, notebooks, palette);
    }
  }
};

/** The Experiments and Models panels, their views, and the MLflow UI launcher item. */
const mlflowPlugin: JupyterFrontEndPlugin<void> = {
  id: 'studio_ext:experiments',
  description: 'Experiments, runs and the model registry of studio_ext; the MLflow UI launcher.',
  autoStart: true,
  requires: [IStudio],
  optional: [ITranslator, ILayoutRestorer, ICommandPalette, ILauncher],
  activate: (
    app: JupyterFrontEnd,
    studio: IStudio,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null
  ): void => {
    const trans = bundle(translator);
    const mlflow = new MlflowStudio(app, studio, trans);
    if (mlflow.experimentsPanel) {
      app.shell.add(mlflow.experimentsPanel, 'left', { rank: 610 });
    }
    if (mlflow.modelsPanel) {
      app.shell.add(mlflow.modelsPanel, 'left', { rank: 620 });
    }
    addMlflowCommands(app, studio, mlflow, trans, restorer, palette, launcher);
  }
};

/** The Endpoints panel, the endpoint views, and `studio:deploy-model` (the Models panel's Deploy). */
const endpointsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'studio_ext:endpoints',
  description: 'Real-time endpoints of studio_ext: deploy, observe, test, update, delete.',
  autoStart: true,
  requires: [IStudio],
  optional: [ITranslator, ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    studio: IStudio,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    if (!studio.hasFeature('endpoints')) {
      return;
    }
    const trans = bundle(translator);
    const endpoints = new EndpointsStudio(app, trans);
    app.shell.add(endpoints.sidebar, 'left', { rank: 630 });
    addEndpointsCommands(app, endpoints, trans, restorer, palette);
  }
};

/** The Train panel: built-in algorithms and their training form. */
const trainPlugin: JupyterFrontEndPlugin<void> = {
  id: 'studio_ext:train',
  description:
    'Train built-in algorithms (studio_ext): the catalog and a training form per algorithm.',
  autoStart: true,
  requires: [IStudio],
  optional: [ITranslator, IFileBrowserFactory],
  activate: (
    app: JupyterFrontEnd,
    studio: IStudio,
    translator: ITranslator | null,
    browserFactory: IFileBrowserFactory | null
  ): void => {
    if (!studio.hasFeature('algorithms')) {
      return;
    }
    const train = new TrainStudio(app, bundle(translator), browserFactory);
    app.shell.add(train.sidebar, 'left', { rank: 605 });
  }
};

/** The Tuning panel: hyperparameter tuning jobs, their leaderboard and charts, the create form. */
const tuningPlugin: JupyterFrontEndPlugin<void> = {
  id: 'studio_ext:tuning',
  description:
    'Hyperparameter tuning jobs of studio_ext: create, watch the trials, stop, deploy the best.',
  autoStart: true,
  requires: [IStudio],
  optional: [ITranslator, ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    studio: IStudio,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    if (!studio.hasFeature('tuning-jobs')) {
      return;
    }
    const trans = bundle(translator);
    const tuning = new TuningStudio(app, studio, trans);
    app.shell.add(tuning.sidebar, 'left', { rank: 607 });
    addTuningCommands(app, tuning, trans, restorer, palette);
  }
};

export default [
  jobsPlugin,
  runAsJobPlugin,
  mlflowPlugin,
  endpointsPlugin,
  trainPlugin,
  tuningPlugin
];
