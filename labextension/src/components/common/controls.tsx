/**
 * Small controls the views share: icon and link buttons, definition-list fields, key/value tables.
 */
import { LabIcon, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatValue } from '../../format';

/** A minimal toolbar button showing only an icon (its title says what it does). */
export function IconButton(props: {
  icon: LabIcon;
  title: string;
  onClick: () => void;
  testid?: string;
  /** Extra classes (e.g. `jp-studio-job-stop`). */
  className?: string;
  /** Keep the click from reaching a clickable row around the button. */
  stopPropagation?: boolean;
}): JSX.Element {
  const extra = props.className ? ` ${props.className}` : '';
  return (
    <button
      className={`jp-ToolbarButtonComponent jp-mod-minimal jp-Button jp-studio-icon-button${extra}`}
      title={props.title}
      data-testid={props.testid}
      onClick={event => {
        if (props.stopPropagation) {
          event.stopPropagation();
        }
        props.onClick();
      }}
    >
      <props.icon.react tag="span" />
    </button>
  );
}

/** The refresh button of a list or a view. */
export function RefreshButton(props: {
  title: string;
  onClick: () => void;
  testid?: string;
}): JSX.Element {
  return <IconButton icon={refreshIcon} {...props} />;
}

/** A button that looks like a link (navigation inside JupyterLab, not a URL). */
export function LinkButton(props: {
  onClick: () => void;
  children: React.ReactNode;
  title?: string;
  testid?: string;
}): JSX.Element {
  return (
    <button
      className="jp-studio-link"
      title={props.title}
      data-testid={props.testid}
      onClick={event => {
        event.stopPropagation();
        props.onClick();
      }}
    >
      {props.children}
    </button>
  );
}

/** One `<dt>label</dt><dd>value</dd>` pair of a `jp-studio-fields` list. */
export function Field(props: {
  label: string;
  children: React.ReactNode;
  testid?: string;
}): JSX.Element {
  return (
    <>
      <dt>{props.label}</dt>
      <dd data-testid={props.testid}>{props.children}</dd>
    </>
  );
}

/** key -> value pairs as a two-column table (or a note when empty). */
export function KeyValueTable(props: {
  values: Record<string, unknown>;
  empty: string;
  testid?: string;
}): JSX.Element {
  const entries = Object.entries(props.values).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) {
    return <div className="jp-studio-empty">{props.empty}</div>;
  }
  return (
    <table className="jp-studio-kv" data-testid={props.testid}>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key} data-key={key}>
            <th>{key}</th>
            <td>{formatValue(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
