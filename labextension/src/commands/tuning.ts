/**
 * Commands of the Tuning panel (show, open a tuning job) and restoration.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { tuningIcon } from '../icons';
import { TuningStudio } from '../studio/TuningStudio';
import { CommandIDs } from '../tokens';
import { PALETTE_CATEGORY, stringArg } from './args';

export function addTuningCommands(
  app: JupyterFrontEnd,
  tuning: TuningStudio,
  trans: TranslationBundle,
  restorer: ILayoutRestorer | null,
  palette: ICommandPalette | null
): void {
  const { commands } = app;
  commands.addCommand(CommandIDs.openTuning, {
    label: trans.__('Show Tuning Jobs'),
    caption: trans.__('Show the Tuning panel: hyperparameter tuning jobs and their create form'),
    icon: tuningIcon,
    execute: () => tuning.show()
  });
  commands.addCommand(CommandIDs.openTuningJob, {
    label: trans.__('Open Tuning Job'),
    execute: args => {
      const id = stringArg(args.tuningJobId);
      if (id) {
        tuning.openTuningJob(id, stringArg(args.name));
      }
    }
  });
  if (restorer) {
    restorer.add(tuning.sidebar, tuning.sidebar.id);
    void restorer.restore(tuning.views.tracker, {
      command: CommandIDs.openTuningJob,
      args: widget => ({ tuningJobId: TuningStudio.tuningJobOf(widget.key) }),
      name: widget => widget.key
    });
  }
  palette?.addItem({ command: CommandIDs.openTuning, category: PALETTE_CATEGORY });
}
