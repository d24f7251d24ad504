/**
 * The Endpoints panel (issue 4): sidebar list and create form, the endpoint view in the main area,
 * and `studio:deploy-model` (the Models panel's "Deploy" button).
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, ReactWidget, WidgetTracker } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { EndpointDetail } from './components/endpoints/EndpointDetail';
import { EndpointsList } from './components/endpoints/EndpointsList';
import { IEndpointsNav } from './components/endpoints/shared';
import { MlflowCommandIDs } from './mlflowPlugin';
import { IStudio } from './tokens';
import { MlflowMainWidget } from './widgets/MlflowWidgets';
import endpointsSvgstr from '../style/icons/endpoints.svg';

export const endpointsIcon = new LabIcon({ name: 'studio_ext:endpoints', svgstr: endpointsSvgstr });

export namespace EndpointCommandIDs {
  export const openEndpoints = 'studio:open-endpoints';
  export const openEndpoint = 'studio:open-endpoint';
  /** Show the create form prefilled with `{model, version}`. */
  export const deployModel = 'studio:deploy-model';
}

/** The sidebar: its list polls only while it is shown (see usePoll). */
class EndpointsSidebar extends ReactWidget {
  constructor(private _nav: IEndpointsNav) {
    super();
    this.id = 'jp-studio-endpoints-panel';
    this.addClass('jp-studio-EndpointsPanel');
    this.addClass('jp-studio-MlflowSidebar');
    this.title.icon = endpointsIcon;
    this.title.caption = _nav.trans.__('Endpoints');
    this.node.setAttribute('data-testid', 'studio-endpoints-panel');
  }

  refresh(): void {
    this._refreshKey++;
    this.update();
  }

  deploy(model: string, version?: string): void {
    this._prefill = { model, version };
    this.refresh();
  }

  protected render(): JSX.Element {
    return React.createElement(EndpointsList, {
      nav: this._nav,
      refreshKey: this._refreshKey,
      prefill: this._prefill
    });
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.refresh();
  }

  private _refreshKey = 0;
  private _prefill: { model: string; version?: string } | null = null;
}

class EndpointsStudio implements IEndpointsNav {
  constructor(
    private _app: JupyterFrontEnd,
    readonly trans: TranslationBundle
  ) {
    this.sidebar = new EndpointsSidebar(this);
  }

  readonly sidebar: EndpointsSidebar;
  readonly tracker = new WidgetTracker<MlflowMainWidget>({ namespace: 'studio-endpoints' });

  show(): void {
    this._app.shell.activateById(this.sidebar.id);
  }

  deploy(model: string, version?: string): void {
    this.sidebar.deploy(model, version);
    this.show();
  }

  openEndpoint(name: string): void {
    const existing = this._views.get(name);
    if (existing && !existing.isDisposed) {
      this._app.shell.activateById(existing.id);
      return;
    }
    const widget: MlflowMainWidget = new MlflowMainWidget({
      key: `endpoint:${name}`,
      id: `jp-studio-endpoint-${name}`,
      className: 'jp-studio-EndpointWidget',
      label: this.trans.__('Endpoint: %1', name),
      icon: endpointsIcon,
      render: () =>
        React.createElement(EndpointDetail, {
          nav: this,
          name,
          onDeleted: () => widget.dispose()
        })
    });
    this._views.set(name, widget);
    widget.disposed.connect(() => this._views.delete(name));
    void this.tracker.add(widget);
    this._app.shell.add(widget, 'main');
    this._app.shell.activateById(widget.id);
  }

  openModel(name: string, version?: string): void {
    void this._app.commands.execute(MlflowCommandIDs.openModel, { name, version });
  }

  endpointsChanged(): void {
    this.sidebar.refresh();
  }

  private _views = new Map<string, MlflowMainWidget>();
}

export const endpointsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'studio_ext:endpoints',
  description: 'Real-time endpoints of studio_ext: deploy, observe, test, update, delete.',
  autoStart: true,
  requires: [IStudio],
  optional: [ITranslator, ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    _studio: IStudio,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('studio_ext');
    const endpoints = new EndpointsStudio(app, trans);
    app.shell.add(endpoints.sidebar, 'left', { rank: 630 });
    const { commands } = app;
    commands.addCommand(EndpointCommandIDs.openEndpoints, {
      label: trans.__('Show Endpoints'),
      icon: endpointsIcon,
      execute: () => endpoints.show()
    });
    commands.addCommand(EndpointCommandIDs.openEndpoint, {
      label: trans.__('Open Endpoint'),
      execute: args => {
        if (typeof args.name === 'string' && args.name) {
          endpoints.openEndpoint(args.name);
        }
      }
    });
    commands.addCommand(EndpointCommandIDs.deployModel, {
      label: trans.__('Deploy Model Version as Endpoint'),
      icon: endpointsIcon,
      execute: args => {
        endpoints.deploy(
          typeof args.model === 'string' ? args.model : '',
          args.version === undefined || args.version === null ? undefined : String(args.version)
        );
      }
    });
    if (restorer) {
      restorer.add(endpoints.sidebar, endpoints.sidebar.id);
      void restorer.restore(endpoints.tracker, {
        command: EndpointCommandIDs.openEndpoint,
        args: widget => ({ name: widget.key.slice('endpoint:'.length) }),
        name: widget => widget.key
      });
    }
    if (palette) {
      palette.addItem({ command: EndpointCommandIDs.openEndpoints, category: 'Studio' });
    }
  }
};
