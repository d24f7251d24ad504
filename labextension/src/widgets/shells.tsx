/**
 * Lumino shells of the list panels and views: a left-sidebar panel, keyed main-area views.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, ReactWidget, WidgetTracker } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';

export interface IListSidebarOptions {
  id: string;
  className: string;
  testid: string;
  caption: string;
  icon: LabIcon;
  /** The panel's content; `refreshKey` changes whenever the panel is shown or refreshed. */
  render: (refreshKey: number) => JSX.Element;
}

/** A sidebar panel (experiments, models, endpoints) that reloads its list each time it is shown. */
export class ListSidebar extends ReactWidget {
  constructor(private _options: IListSidebarOptions) {
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

/** The React content of a MainView: renders what its view asks for. */
class ViewContent extends ReactWidget {
  constructor() {
    super();
    this.addClass('jp-studio-MlflowContent');
  }

  renderView: () => JSX.Element | null = () => null;

  protected render(): JSX.Element | null {
    return this.renderView();
  }
}

export interface IMainViewOptions {
  /** Identifies the view so opening the same thing again reveals it instead. */
  key: string;
  id: string;
  className: string;
  label: string;
  icon: LabIcon;
  render: (widget: MainView) => JSX.Element;
}

/** A closable main-area view (experiment, run, comparison, model, endpoint). */
export class MainView extends MainAreaWidget<ViewContent> {
  constructor(options: IMainViewOptions) {
    const content = new ViewContent();
    super({ content });
    content.renderView = () => options.render(this);
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

/** The open main-area views of one plugin, by key: opening a key again reveals its view. */
export class MainViews {
  constructor(
    private _app: JupyterFrontEnd,
    namespace: string
  ) {
    this.tracker = new WidgetTracker<MainView>({ namespace });
  }

  /** Restored after a page reload by the layout restorer. */
  readonly tracker: WidgetTracker<MainView>;

  /** Reveal (and re-render) the view for `options.key`, or create it. */
  open(options: IMainViewOptions): MainView {
    const shell = this._app.shell;
    const existing = this.tracker.find(widget => widget.key === options.key);
    if (existing) {
      existing.refresh();
      shell.activateById(existing.id);
      return existing;
    }
    const widget = new MainView(options);
    void this.tracker.add(widget);
    shell.add(widget, 'main');
    shell.activateById(widget.id);
    return widget;
  }
}
