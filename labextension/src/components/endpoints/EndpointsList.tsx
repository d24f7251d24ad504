/**
 * The Endpoints sidebar: endpoints with status and reason (polled while shown), and the create form.
 */
import { addIcon, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { EndpointsAPI } from '../../endpointsApi';
import { formatTime } from '../../format';
import { ErrorBox } from '../common';
import { CreateEndpointForm } from './CreateEndpointForm';
import { EndpointStatusBadge, IEndpointsNav, usePoll } from './shared';

const LIST_POLL_MS = 3000;

export function EndpointsList(props: {
  nav: IEndpointsNav;
  refreshKey: number;
  /** Set by "Deploy" on a model version: opens the form prefilled (a new object each time). */
  prefill: { model: string; version?: string } | null;
}): JSX.Element {
  const { nav, prefill } = props;
  const trans = nav.trans;
  const root = React.useRef<HTMLDivElement>(null);
  const [formOpen, setFormOpen] = React.useState(prefill !== null);
  React.useEffect(() => {
    if (prefill) {
      setFormOpen(true);
    }
  }, [prefill]);
  const endpoints = usePoll(() => EndpointsAPI.list(), LIST_POLL_MS, root, [props.refreshKey]);
  const items = endpoints.data?.items ?? [];
  return (
    <div className="jp-studio-panel-content" ref={root}>
      <div className="jp-studio-header jp-studio-endpoints-header">
        <h2 className="jp-studio-title">{trans.__('Endpoints')}</h2>
        <span className="jp-studio-spacer" />
        <button
          className="jp-ToolbarButtonComponent jp-mod-minimal jp-Button jp-studio-icon-button"
          title={trans.__('New endpoint')}
          data-testid="endpoints-new"
          onClick={() => setFormOpen(true)}
        >
          <addIcon.react tag="span" />
        </button>
        <button
          className="jp-ToolbarButtonComponent jp-mod-minimal jp-Button jp-studio-icon-button"
          title={trans.__('Refresh')}
          data-testid="endpoints-refresh"
          onClick={endpoints.reload}
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
      <div className="jp-studio-tab-body">
        {formOpen ? (
          <CreateEndpointForm
            // A new prefill (another Deploy click) starts a fresh form.
            key={prefill ? `${prefill.model}/${prefill.version}/${props.refreshKey}` : 'new'}
            nav={nav}
            prefill={prefill}
            onDone={() => {
              setFormOpen(false);
              endpoints.reload();
            }}
          />
        ) : null}
        <ErrorBox message={endpoints.error} />
        {!endpoints.loading && !endpoints.error && items.length === 0 ? (
          <div className="jp-studio-empty" data-testid="endpoints-empty">
            {trans.__('No endpoints yet. Deploy a model version from the Models panel or with +.')}
          </div>
        ) : null}
        <ul className="jp-studio-mlflow-list" data-testid="endpoints-list">
          {items.map(endpoint => (
            <li
              key={endpoint.name}
              className="jp-studio-list-row jp-studio-endpoint-row"
              data-endpoint-name={endpoint.name}
              data-status={endpoint.status}
              data-testid="endpoint-row"
              tabIndex={0}
              onClick={() => nav.openEndpoint(endpoint.name)}
              onKeyDown={event => {
                if (event.key === 'Enter') {
                  nav.openEndpoint(endpoint.name);
                }
              }}
            >
              <div className="jp-studio-list-row-top">
                <span className="jp-studio-list-name">{endpoint.name}</span>
                <EndpointStatusBadge status={endpoint.status} />
              </div>
              <div className="jp-studio-list-meta">
                {endpoint.variants.map(v => (
                  <span key={v.name} className="jp-studio-chip" title={v.instance_type}>
                    {v.model.replace(/^models:\//, '')} ×{v.instance_count}
                  </span>
                ))}
                <span title={trans.__('Last updated')}>{formatTime(endpoint.updated_at)}</span>
              </div>
              {endpoint.status_reason ? (
                <div
                  className="jp-studio-endpoint-reason"
                  data-testid="endpoint-reason"
                  title={endpoint.status_reason}
                >
                  {endpoint.status_reason}
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
