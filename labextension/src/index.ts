/**
 * The studio_ext JupyterLab plugins: the Jobs/Schedules panel and the "Run as job" command.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { addJobsCommands, addRunAsJob } from './commands';
import { endpointsPlugin } from './endpointsPlugin';
import { StudioAPI } from './handler';
import { mlflowPlugin } from './mlflowPlugin';
import { Studio } from './studio';
import { CommandIDs, IStudio } from './tokens';

/** The jobs panel; provides IStudio once the server extension answered the handshake. */
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
    const trans = (translator ?? nullTranslator).load('studio_ext');
    let config;
    try {
      config = await StudioAPI.getConfig();
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
    console.debug(`studio_ext: server extension ${config.version}, features ${config.features}`);
    const studio = new Studio(app, config, trans);
    app.shell.add(studio.sidebar, 'left', { rank: 600 });
    addJobsCommands(app, studio, trans, palette);
    if (settingRegistry) {
      settingRegistry
        .load(jobsPlugin.id)
        .then(settings => {
          const apply = () => {
            studio.notifyOnFinish = settings.get('notifyOnFinish').composite !== false;
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => console.warn('studio_ext: could not load settings', reason));
    }
    if (restorer) {
      restorer.add(studio.sidebar, studio.sidebar.id);
      void restorer.restore(studio.detailTracker, {
        command: CommandIDs.openJob,
        args: widget => ({ jobId: widget.model.jobId }),
        name: widget => widget.model.jobId
      });
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
    const trans = (translator ?? nullTranslator).load('studio_ext');
    addRunAsJob(app, studio as Studio, trans, browserFactory, notebooks, palette);
  }
};

export default [jobsPlugin, runAsJobPlugin, mlflowPlugin, endpointsPlugin];
