/**
 * The Jobs panel's commands and restoration, and "Run as job": command, notebook toolbar button,
 * file-browser context-menu item.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, Notification, ToolbarButton } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { TranslationBundle } from '@jupyterlab/translation';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';

import { errorMessage } from '../api';
import { jobsIcon } from '../icons';
import { JobsStudio } from '../studio/JobsStudio';
import { CommandIDs, IStudio } from '../tokens';
import { kindOf, runAsJobDialog } from '../widgets/RunJobDialog';
import { PALETTE_CATEGORY, stringArg } from './args';

export function addJobsCommands(
  app: JupyterFrontEnd,
  studio: JobsStudio,
  trans: TranslationBundle,
  restorer: ILayoutRestorer | null,
  palette: ICommandPalette | null
): void {
  const schedules = studio.hasFeature('schedules');
  app.commands.addCommand(CommandIDs.openJobs, {
    label: trans.__('Show Jobs'),
    caption: trans.__('Show the Jobs panel'),
    icon: jobsIcon,
    execute: args => studio.showJobs(stringArg(args.jobId))
  });
  if (schedules) {
    app.commands.addCommand(CommandIDs.openSchedules, {
      label: trans.__('Show Schedules'),
      execute: () => studio.showSchedules()
    });
  }
  app.commands.addCommand(CommandIDs.openJob, {
    label: trans.__('Open Job Details'),
    execute: args => {
      const jobId = stringArg(args.jobId);
      if (jobId) {
        studio.openJob(jobId);
      }
    }
  });
  app.commands.addCommand(CommandIDs.refreshJobs, {
    label: trans.__('Refresh Jobs'),
    execute: () =>
      Promise.all([studio.jobs.refresh(), schedules ? studio.schedules.refresh() : undefined])
  });
  const inPalette = [CommandIDs.openJobs, CommandIDs.refreshJobs];
  if (schedules) {
    inPalette.splice(1, 0, CommandIDs.openSchedules);
  }
  for (const command of inPalette) {
    palette?.addItem({ command, category: PALETTE_CATEGORY });
  }
  if (restorer) {
    restorer.add(studio.sidebar, studio.sidebar.id);
    void restorer.restore(studio.detailTracker, {
      command: CommandIDs.openJob,
      args: widget => ({ jobId: widget.model.jobId }),
      name: widget => widget.model.jobId
    });
  }
}

/** Apply the plugin's settings (notifyOnFinish) now and whenever they change. */
export function followJobsSettings(
  settingRegistry: ISettingRegistry,
  pluginId: string,
  studio: JobsStudio
): void {
  settingRegistry
    .load(pluginId)
    .then(settings => {
      const apply = () => {
        studio.notifyOnFinish = settings.get('notifyOnFinish').composite !== false;
      };
      apply();
      settings.changed.connect(apply);
    })
    .catch(reason => console.warn('studio_ext: could not load settings', reason));
}

/** The toolbar button every notebook panel gets. */
class RunAsJobButtonExtension implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  constructor(
    private _app: JupyterFrontEnd,
    private _trans: TranslationBundle
  ) {}

  createNew(panel: NotebookPanel): IDisposable {
    const button = new ToolbarButton({
      className: 'jp-studio-run-as-job-button',
      icon: jobsIcon,
      label: this._trans.__('Run as job'),
      tooltip: this._trans.__('Run this notebook as a job (saved version)'),
      onClick: () =>
        void this._app.commands.execute(CommandIDs.runAsJob, { path: panel.context.path })
    });
    button.node.setAttribute('data-testid', 'studio-run-as-job-button');
    if (!panel.toolbar.insertAfter('cellType', 'studio-run-as-job', button)) {
      panel.toolbar.addItem('studio-run-as-job', button);
    }
    return new DisposableDelegate(() => button.dispose());
  }
}

export function addRunAsJob(
  app: JupyterFrontEnd,
  studio: IStudio,
  trans: TranslationBundle,
  browserFactory: IFileBrowserFactory | null,
  notebooks: INotebookTracker | null,
  palette: ICommandPalette | null
): void {
  /** The file the command is about: its argument, the right-clicked file, or the notebook. */
  const targetPath = (args: Record<string, unknown>): string | null => {
    if (typeof args.path === 'string' && args.path) {
      return args.path;
    }
    const fromMenu = app.contextMenuHitTest(node => node.classList.contains('jp-DirListing-item'));
    if (fromMenu && browserFactory) {
      const browser = browserFactory.tracker.currentWidget;
      const item = browser?.selectedItems().next();
      if (item && !item.done && item.value) {
        return item.value.path;
      }
    }
    return notebooks?.currentWidget?.context.path ?? null;
  };

  app.commands.addCommand(CommandIDs.runAsJob, {
    label: trans.__('Run as Job…'),
    caption: trans.__('Run the notebook or Python file as a studio job'),
    icon: jobsIcon,
    isEnabled: args => {
      const path = targetPath(args);
      return path !== null && kindOf(path) !== null;
    },
    execute: async args => {
      const path = targetPath(args);
      if (!path) {
        Notification.warning(trans.__('Select a notebook or a Python file to run as a job.'));
        return;
      }
      const notebook = notebooks?.find(panel => panel.context.path === path);
      if (notebook?.context.model.dirty) {
        // A job runs the file on disk: save first so it runs what the user sees.
        await notebook.context.save();
      }
      try {
        const created = await runAsJobDialog(path, trans, studio.hasFeature('schedules'));
        if (created?.jobId) {
          Notification.success(trans.__('Job submitted: %1', path), { autoClose: 4000 });
          studio.showJobs(created.jobId);
        } else if (created?.jobDefinitionId) {
          Notification.success(trans.__('Schedule created for %1', path), { autoClose: 4000 });
          studio.showSchedules();
        }
      } catch (error) {
        Notification.error(errorMessage(error));
      }
    }
  });

  app.docRegistry.addWidgetExtension('Notebook', new RunAsJobButtonExtension(app, trans));
  app.contextMenu.addItem({
    command: CommandIDs.runAsJob,
    selector: '.jp-DirListing-item[data-file-type="notebook"]',
    rank: 4
  });
  app.contextMenu.addItem({
    command: CommandIDs.runAsJob,
    selector: '.jp-DirListing-item[data-file-type="python"]',
    rank: 4
  });
  palette?.addItem({ command: CommandIDs.runAsJob, category: PALETTE_CATEGORY });
}
