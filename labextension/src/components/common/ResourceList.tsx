/**
 * The sidebar list of one kind of resource (experiments, models, endpoints): header, optional name
 * filter, error, empty note and clickable rows.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { ErrorBox } from './ErrorBox';
import { RefreshButton } from './controls';
import { useDebounced, useRequest } from './hooks';

/** `data-<key>` attributes from a record. */
function dataAttributes(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [`data-${key}`, value]));
}

/** One row: the name with an aside (status, version), a meta line, and an optional footer. */
export interface IResourceRow {
  key: string;
  /** Extra row class, e.g. `jp-studio-model-row`. */
  className: string;
  /** `data-*` attributes that identify the row (the tests' and the styles' hooks). */
  data: Record<string, string>;
  testid: string;
  name: string;
  aside?: React.ReactNode;
  meta: React.ReactNode;
  footer?: React.ReactNode;
  onOpen: () => void;
}

export interface IResourceListProps {
  trans: TranslationBundle;
  title: string;
  /** Prefix of the list's test ids: `<kind>-list`, `<kind>-empty`, `<kind>-filter`, ... */
  kind: string;
  rows: IResourceRow[];
  error: string | null;
  loading: boolean;
  /** Shown when the list answered empty. */
  empty: string;
  onRefresh: () => void;
  /** The name filter's value and setter (no filter bar without it). */
  filter?: { value: string; onChange: (value: string) => void };
  /** Buttons in the header (then the refresh button sits there too, not in the filter bar). */
  actions?: React.ReactNode;
  /** Above the list, inside the body (e.g. a create form). */
  children?: React.ReactNode;
  /** Receives the root element (e.g. for a poll that stands by while it is hidden). */
  root?: React.Ref<HTMLDivElement>;
}

export function ResourceList({ root, ...props }: IResourceListProps): JSX.Element {
  const { trans, kind } = props;
  const refresh = (
    <RefreshButton
      title={trans.__('Refresh')}
      testid={`${kind}-refresh`}
      onClick={props.onRefresh}
    />
  );
  return (
    <div className="jp-studio-panel-content" ref={root}>
      <div className={`jp-studio-header${props.actions ? ` jp-studio-${kind}-header` : ''}`}>
        <h2 className="jp-studio-title">{props.title}</h2>
        {props.actions ? (
          <>
            <span className="jp-studio-spacer" />
            {props.actions}
            {refresh}
          </>
        ) : null}
      </div>
      {props.filter ? (
        <div className="jp-studio-filter">
          <input
            className="jp-studio-filter-grow jp-mod-styled"
            data-testid={`${kind}-filter`}
            type="search"
            placeholder={trans.__('Filter by name')}
            value={props.filter.value}
            onChange={event => props.filter?.onChange(event.target.value)}
          />
          {props.actions ? null : refresh}
        </div>
      ) : null}
      <div className="jp-studio-tab-body">
        {props.children}
        <ErrorBox message={props.error} />
        {!props.loading && !props.error && props.rows.length === 0 ? (
          <div className="jp-studio-empty" data-testid={`${kind}-empty`}>
            {props.empty}
          </div>
        ) : null}
        <ul className="jp-studio-mlflow-list" data-testid={`${kind}-list`}>
          {props.rows.map(row => (
            <li
              key={row.key}
              className={`jp-studio-list-row ${row.className}`}
              {...dataAttributes(row.data)}
              data-testid={row.testid}
              tabIndex={0}
              onClick={row.onOpen}
              onKeyDown={event => {
                if (event.key === 'Enter') {
                  row.onOpen();
                }
              }}
            >
              <div className="jp-studio-list-row-top">
                <span className="jp-studio-list-name">{row.name}</span>
                {row.aside}
              </div>
              <div className="jp-studio-list-meta">{row.meta}</div>
              {row.footer}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

/**
 * A ResourceList whose rows come from `load(nameFilter)`: the filter is debounced, and the list
 * reloads when `refreshKey` changes (the panel was shown, or something changed elsewhere).
 */
export function FilteredResourceList<T>(props: {
  trans: TranslationBundle;
  title: string;
  kind: string;
  refreshKey: number;
  /** Reads the list; a module-level function (a new one per render would reload forever). */
  load: (name: string | undefined) => Promise<{ items: T[] }>;
  row: (item: T) => IResourceRow;
  /** The empty note, with and without a filter. */
  empty: { filtered: string; none: string };
}): JSX.Element {
  const { load } = props;
  const [name, setName] = React.useState('');
  const query = useDebounced(name.trim());
  const answer = useRequest(() => load(query || undefined), [load, query], {
    refreshKey: props.refreshKey
  });
  return (
    <ResourceList
      trans={props.trans}
      title={props.title}
      kind={props.kind}
      rows={(answer.data?.items ?? []).map(props.row)}
      error={answer.error}
      loading={answer.loading}
      empty={query ? props.empty.filtered : props.empty.none}
      onRefresh={answer.reload}
      filter={{ value: name, onChange: setName }}
    />
  );
}
