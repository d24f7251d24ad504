/**
 * Commands of the Experiments and Models panels, their layout restoration, the MLflow UI item.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { TranslationBundle } from '@jupyterlab/translation';

import { experimentsIcon, mlflowIcon, modelsIcon } from '../icons';
import { MlflowStudio } from '../studio/MlflowStudio';
import { CommandIDs, IStudio } from '../tokens';
import { PALETTE_CATEGORY, stringArg } from './args';

export function addMlflowCommands(
  app: JupyterFrontEnd,
  studio: IStudio,
  mlflow: MlflowStudio,
  trans: TranslationBundle,
  restorer: ILayoutRestorer | null,
  palette: ICommandPalette | null,
  launcher: ILauncher | null
): void {
  const { commands } = app;
  const inPalette: string[] = [];
  if (mlflow.experimentsPanel || mlflow.modelsPanel) {
    commands.addCommand(CommandIDs.openMlflowView, {
      label: trans.__('Open Experiments/Models View'),
      execute: args => {
        const key = stringArg(args.key);
        if (key) {
          mlflow.openKey(key);
        }
      }
    });
    if (restorer) {
      void restorer.restore(mlflow.views.tracker, {
        command: CommandIDs.openMlflowView,
        args: widget => ({ key: widget.key }),
        name: widget => widget.key
      });
    }
  }
  if (mlflow.experimentsPanel) {
    restorer?.add(mlflow.experimentsPanel, mlflow.experimentsPanel.id);
    commands.addCommand(CommandIDs.openExperiments, {
      label: trans.__('Show Experiments'),
      icon: experimentsIcon,
      execute: () => mlflow.showExperiments()
    });
    commands.addCommand(CommandIDs.openExperiment, {
      label: trans.__('Open Experiment'),
      execute: args => {
        const id = stringArg(args.experimentId);
        if (id) {
          mlflow.openExperiment(id, stringArg(args.name));
        }
      }
    });
    commands.addCommand(CommandIDs.openRun, {
      label: trans.__('Open Run'),
      execute: args => {
        const runId = stringArg(args.runId);
        if (runId) {
          mlflow.openRun(runId);
        }
      }
    });
    commands.addCommand(CommandIDs.compareRuns, {
      label: trans.__('Compare Runs'),
      execute: args => {
        const ids = (args.runIds as string[] | undefined) ?? [];
        if (ids.length) {
          mlflow.openCompare(ids);
        }
      }
    });
    inPalette.push(CommandIDs.openExperiments);
  }
  if (mlflow.modelsPanel) {
    restorer?.add(mlflow.modelsPanel, mlflow.modelsPanel.id);
    commands.addCommand(CommandIDs.openModels, {
      label: trans.__('Show Models'),
      icon: modelsIcon,
      execute: () => mlflow.showModels()
    });
    commands.addCommand(CommandIDs.openModel, {
      label: trans.__('Open Registered Model'),
      execute: args => {
        const name = stringArg(args.name);
        if (name) {
          mlflow.openModel(name, stringArg(args.version));
        }
      }
    });
    inPalette.push(CommandIDs.openModels);
  }

  // The MLflow UI is served by the studio under Jupyter's auth; a new tab keeps its routing intact.
  const uiUrl = studio.config.mlflow_ui_url;
  if (studio.hasFeature('mlflow-ui')) {
    commands.addCommand(CommandIDs.openMlflowUI, {
      label: trans.__('MLflow UI'),
      caption: trans.__('Open the MLflow UI (same store, behind Jupyter login) in a new tab'),
      icon: mlflowIcon,
      isEnabled: () => !!uiUrl,
      execute: () => {
        if (uiUrl) {
          window.open(uiUrl, '_blank', 'noopener');
        }
      }
    });
    if (launcher && uiUrl) {
      launcher.add({ command: CommandIDs.openMlflowUI, category: 'Other', rank: 10 });
    }
    inPalette.push(CommandIDs.openMlflowUI);
  }
  for (const command of inPalette) {
    palette?.addItem({ command, category: PALETTE_CATEGORY });
  }
}
