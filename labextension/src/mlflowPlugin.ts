/**
 * The Experiments and Models panels, their commands, and the MLflow UI launcher item (issue 3).
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { mlflowIcon, modelsIcon, experimentsIcon } from './mlflowIcons';
import { MlflowStudio } from './mlflowStudio';
import { Studio } from './studio';
import { IStudio } from './tokens';

/** Command ids of the experiment and model views. */
export namespace MlflowCommandIDs {
  export const openExperiments = 'studio:open-experiments';
  export const openModels = 'studio:open-models';
  export const openExperiment = 'studio:open-experiment';
  export const openRun = 'studio:open-run';
  export const compareRuns = 'studio:compare-runs';
  export const openModel = 'studio:open-model';
  export const openMlflowUI = 'studio:open-mlflow-ui';
  /** Reopen a view by its key (used by the layout restorer). */
  export const openView = 'studio:open-mlflow-view';
}

const PALETTE_CATEGORY = 'Studio';

export const mlflowPlugin: JupyterFrontEndPlugin<void> = {
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
    const trans = (translator ?? nullTranslator).load('studio_ext');
    const mlflow = new MlflowStudio(app, studio as Studio, trans);
    app.shell.add(mlflow.experimentsPanel, 'left', { rank: 610 });
    app.shell.add(mlflow.modelsPanel, 'left', { rank: 620 });
    const { commands } = app;
    commands.addCommand(MlflowCommandIDs.openView, {
      label: trans.__('Open Experiments/Models View'),
      execute: args => {
        if (typeof args.key === 'string') {
          mlflow.openKey(args.key);
        }
      }
    });
    if (restorer) {
      restorer.add(mlflow.experimentsPanel, mlflow.experimentsPanel.id);
      restorer.add(mlflow.modelsPanel, mlflow.modelsPanel.id);
      void restorer.restore(mlflow.tracker, {
        command: MlflowCommandIDs.openView,
        args: widget => ({ key: widget.key }),
        name: widget => widget.key
      });
    }

    commands.addCommand(MlflowCommandIDs.openExperiments, {
      label: trans.__('Show Experiments'),
      icon: experimentsIcon,
      execute: () => mlflow.showExperiments()
    });
    commands.addCommand(MlflowCommandIDs.openModels, {
      label: trans.__('Show Models'),
      icon: modelsIcon,
      execute: () => mlflow.showModels()
    });
    commands.addCommand(MlflowCommandIDs.openExperiment, {
      label: trans.__('Open Experiment'),
      execute: args => {
        if (args.experimentId) {
          mlflow.openExperiment(String(args.experimentId), args.name as string | undefined);
        }
      }
    });
    commands.addCommand(MlflowCommandIDs.openRun, {
      label: trans.__('Open Run'),
      execute: args => {
        if (args.runId) {
          mlflow.openRun(String(args.runId));
        }
      }
    });
    commands.addCommand(MlflowCommandIDs.compareRuns, {
      label: trans.__('Compare Runs'),
      execute: args => {
        const ids = (args.runIds as string[] | undefined) ?? [];
        if (ids.length) {
          mlflow.openCompare(ids);
        }
      }
    });
    commands.addCommand(MlflowCommandIDs.openModel, {
      label: trans.__('Open Registered Model'),
      execute: args => {
        if (args.name) {
          mlflow.openModel(String(args.name), args.version as string | undefined);
        }
      }
    });

    // The MLflow UI is served by the studio under Jupyter's auth; a new tab keeps its routing intact.
    const uiUrl = studio.config.mlflow_ui_url;
    commands.addCommand(MlflowCommandIDs.openMlflowUI, {
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
      launcher.add({ command: MlflowCommandIDs.openMlflowUI, category: 'Other', rank: 10 });
    }
    if (palette) {
      for (const command of [
        MlflowCommandIDs.openExperiments,
        MlflowCommandIDs.openModels,
        MlflowCommandIDs.openMlflowUI
      ]) {
        palette.addItem({ command, category: PALETTE_CATEGORY });
      }
    }
  }
};
