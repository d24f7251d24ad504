/**
 * Commands of the Endpoints panel (show, open an endpoint, deploy a model version) and restoration.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { endpointsIcon } from '../icons';
import { EndpointsStudio } from '../studio/EndpointsStudio';
import { CommandIDs } from '../tokens';
import { PALETTE_CATEGORY, stringArg } from './args';

export function addEndpointsCommands(
  app: JupyterFrontEnd,
  endpoints: EndpointsStudio,
  trans: TranslationBundle,
  restorer: ILayoutRestorer | null,
  palette: ICommandPalette | null
): void {
  const { commands } = app;
  commands.addCommand(CommandIDs.openEndpoints, {
    label: trans.__('Show Endpoints'),
    icon: endpointsIcon,
    execute: () => endpoints.show()
  });
  commands.addCommand(CommandIDs.openEndpoint, {
    label: trans.__('Open Endpoint'),
    execute: args => {
      const name = stringArg(args.name);
      if (name) {
        endpoints.openEndpoint(name);
      }
    }
  });
  commands.addCommand(CommandIDs.deployModel, {
    label: trans.__('Deploy Model Version as Endpoint'),
    icon: endpointsIcon,
    execute: args => {
      endpoints.deploy(
        typeof args.model === 'string' ? args.model : '',
        args.version === undefined || args.version === null ? undefined : stringArg(args.version)
      );
    }
  });
  if (restorer) {
    restorer.add(endpoints.sidebar, endpoints.sidebar.id);
    void restorer.restore(endpoints.views.tracker, {
      command: CommandIDs.openEndpoint,
      args: widget => ({ name: EndpointsStudio.endpointOf(widget.key) }),
      name: widget => widget.key
    });
  }
  palette?.addItem({ command: CommandIDs.openEndpoints, category: PALETTE_CATEGORY });
}
