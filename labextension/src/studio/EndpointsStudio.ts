/**
 * EndpointsStudio: the Endpoints sidebar (list and create form) and the endpoint views.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { EndpointDetail } from '../components/endpoints/EndpointDetail';
import { EndpointsList } from '../components/endpoints/EndpointsList';
import { endpointsIcon } from '../icons';
import { CommandIDs, IEndpointsNav } from '../tokens';
import { ListSidebar, MainViews } from '../widgets/shells';

/** The key of an endpoint's view (restored by the layout restorer). */
const VIEW_PREFIX = 'endpoint:';

export class EndpointsStudio implements IEndpointsNav {
  constructor(
    private _app: JupyterFrontEnd,
    readonly trans: TranslationBundle
  ) {
    this.views = new MainViews(_app, 'studio-endpoints');
    // Its list polls only while it is shown (see useRequest).
    this.sidebar = new ListSidebar({
      id: 'jp-studio-endpoints-panel',
      className: 'jp-studio-EndpointsPanel',
      testid: 'studio-endpoints-panel',
      caption: trans.__('Endpoints'),
      icon: endpointsIcon,
      render: refreshKey =>
        React.createElement(EndpointsList, { nav: this, refreshKey, prefill: this._prefill })
    });
  }

  readonly sidebar: ListSidebar;
  readonly views: MainViews;

  show(): void {
    this._app.shell.activateById(this.sidebar.id);
  }

  /** Show the create form prefilled with this model version. */
  deploy(model: string, version?: string): void {
    this._prefill = { model, version };
    this.sidebar.refresh();
    this.show();
  }

  openEndpoint(name: string): void {
    this.views.open({
      key: `${VIEW_PREFIX}${name}`,
      id: `jp-studio-endpoint-${name}`,
      className: 'jp-studio-EndpointWidget',
      label: this.trans.__('Endpoint: %1', name),
      icon: endpointsIcon,
      render: widget =>
        React.createElement(EndpointDetail, {
          nav: this,
          name,
          onDeleted: () => widget.dispose()
        })
    });
  }

  /** The endpoint a restored view shows. */
  static endpointOf(key: string): string {
    return key.slice(VIEW_PREFIX.length);
  }

  openModel(name: string, version?: string): void {
    void this._app.commands.execute(CommandIDs.openModel, { name, version });
  }

  endpointsChanged(): void {
    this.sidebar.refresh();
  }

  private _prefill: { model: string; version?: string } | null = null;
}
