/**
 * Lumino shells of the experiment and model views: a left-sidebar panel and a main-area view.
 */
import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';

export interface IMlflowSidebarOptions {
  id: string;
  className: string;
  testid: string;
  caption: string;
  icon: LabIcon;
  /** The panel's content; `refreshKey` changes whenever the panel is shown or refreshed. */
  render: (refreshKey: number) => JSX.Element;
}

/** A sidebar panel that reloads its list each time it is shown. */
export class MlflowSidebar extends ReactWidget {
  constructor(private _options: IMlflowSidebarOptions) {
    super();
    this.id = _options.id;
    this.addClass(_options.className);
    this.addClass('jp-studio-MlflowSidebar');
    this.title.icon = _options.icon;
    this.title.caption = _options.caption;
    this.node.setAttribute('data-testid', _options.testid);
  }

  /** Reload the list (e.g. after the registry changed elsewhere). */
  refresh(): void {
    this._refreshKey++;
    this.update();
  }

  protected render(): JSX.Element {
    return this._options.render(this._refreshKey);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.refresh();
  }

  private _refreshKey = 0;
}

class MlflowContent extends ReactWidget {
  constructor(private _render: () => JSX.Element) {
    super();
    this.addClass('jp-studio-MlflowContent');
  }

  protected render(): JSX.Element {
    return this._render();
  }
}

export interface IMlflowMainOptions {
  /** Identifies the view so opening the same thing again reveals it instead. */
  key: string;
  id: string;
  className: string;
  label: string;
  icon: LabIcon;
  render: (widget: MlflowMainWidget) => JSX.Element;
}

/** A closable main-area view (experiment, run, comparison, model). */
export class MlflowMainWidget extends MainAreaWidget<ReactWidget> {
  constructor(options: IMlflowMainOptions) {
    let self: MlflowMainWidget | null = null;
    super({ content: new MlflowContent(() => options.render(self!)) });
    self = this;
    this.key = options.key;
    this.id = options.id;
    this.addClass(options.className);
    this.addClass('jp-studio-MlflowMainWidget');
    this.title.label = options.label;
    this.title.icon = options.icon;
    this.title.closable = true;
  }

  readonly key: string;

  /** Re-render (e.g. with a new version to show). */
  refresh(): void {
    this.content.update();
  }
}
