/**
 * Commands, the notebook toolbar button and the file-browser context-menu item.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, Notification, ToolbarButton } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';

import { StudioRequestError } from './handler';
import { jobsIcon } from './icons';
import { Studio } from './studio';
import { CommandIDs } from './tokens';
import { kindOf, runAsJobDialog } from './widgets/RunJobDialog';

const PALETTE_CATEGORY = 'Studio';

export function addJobsCommands(
  app: JupyterFrontEnd,
  studio: Studio,
  trans: TranslationBundle,
  palette: ICommandPalette | null
): void {
  app.commands.addCommand(CommandIDs.openJobs, {
    label: trans.__('Show Jobs'),
    caption: trans.__('Show the Jobs panel'),
    icon: jobsIcon,
    execute: args => studio.showJobs(args.jobId as string | undefined)
  });
  app.commands.addCommand(CommandIDs.openSchedules, {
    label: trans.__('Show Schedules'),
    execute: () => studio.showSchedules()
  });
  app.commands.addCommand(CommandIDs.openJob, {
    label: trans.__('Open Job Details'),
    execute: args => {
      const jobId = args.jobId as string | undefined;
      if (jobId) {
        studio.openJob(jobId);
      }
    }
  });
  app.commands.addCommand(CommandIDs.refreshJobs, {
    label: trans.__('Refresh Jobs'),
    execute: () => Promise.all([studio.jobs.refresh(), studio.schedules.refresh()])
  });
  if (palette) {
    for (const command of [CommandIDs.openJobs, CommandIDs.openSchedules, CommandIDs.refreshJobs]) {
      palette.addItem({ command, category: PALETTE_CATEGORY });
    }
  }
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
    panel.toolbar.insertAfter('cellType', 'studio-run-as-job', button) ||
      panel.toolbar.addItem('studio-run-as-job', button);
    return new DisposableDelegate(() => button.dispose());
  }
}

export function addRunAsJob(
  app: JupyterFrontEnd,
  studio: Studio,
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
        await Notification.warning(trans.__('Select a notebook or a Python file to run as a job.'));
        return;
      }
      const notebook = notebooks?.find(panel => panel.context.path === path);
      if (notebook?.context.model.dirty) {
        // A job runs the file on disk: save first so it runs what the user sees.
        await notebook.context.save();
      }
      try {
        const created = await runAsJobDialog(path, trans);
        if (created?.jobId) {
          Notification.success(trans.__('Job submitted: %1', path), { autoClose: 4000 });
          studio.showJobs(created.jobId);
        } else if (created?.jobDefinitionId) {
          Notification.success(trans.__('Schedule created for %1', path), { autoClose: 4000 });
          studio.showSchedules();
        }
      } catch (error) {
        const text = error instanceof StudioRequestError ? error.message : String(error);
        await Notification.error(text);
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
  if (palette) {
    palette.addItem({ command: CommandIDs.runAsJob, category: PALETTE_CATEGORY });
  }
}
