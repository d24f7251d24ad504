/**
 * The Endpoints sidebar: endpoints with status and reason (polled while shown), and the create form.
 */
import { addIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { EndpointsAPI } from '../../api';
import { formatTime } from '../../format';
import { IEndpointsNav } from '../../tokens';
import { IconButton } from '../common/controls';
import { useRequest } from '../common/hooks';
import { ResourceList } from '../common/ResourceList';
import { EndpointStatusBadge } from '../common/StatusBadge';
import { CreateEndpointForm } from './CreateEndpointForm';

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
  const [shownPrefill, setShownPrefill] = React.useState(prefill);
  if (prefill !== shownPrefill) {
    // A new Deploy click: open the form (adjusting state while rendering, not in an effect).
    setShownPrefill(prefill);
    if (prefill) {
      setFormOpen(true);
    }
  }
  const endpoints = useRequest(() => EndpointsAPI.list(), [], {
    refreshKey: props.refreshKey,
    poll: { interval: LIST_POLL_MS, ref: root, name: 'EndpointsList' }
  });
  return (
    <ResourceList
      root={root}
      trans={trans}
      title={trans.__('Endpoints')}
      kind="endpoints"
      error={endpoints.error}
      loading={endpoints.loading}
      empty={trans.__('No endpoints yet. Deploy a model version from the Models panel or with +.')}
      onRefresh={endpoints.reload}
      actions={
        <IconButton
          icon={addIcon}
          title={trans.__('New endpoint')}
          testid="endpoints-new"
          onClick={() => setFormOpen(true)}
        />
      }
      rows={(endpoints.data?.items ?? []).map(endpoint => ({
        key: endpoint.name,
        className: 'jp-studio-endpoint-row',
        data: { 'endpoint-name': endpoint.name, status: endpoint.status },
        testid: 'endpoint-row',
        name: endpoint.name,
        aside: <EndpointStatusBadge status={endpoint.status} />,
        meta: (
          <>
            {endpoint.variants.map(v => (
              <span key={v.name} className="jp-studio-chip" title={v.instance_type}>
                {v.model.replace(/^models:\//, '')} ×{v.instance_count}
              </span>
            ))}
            <span title={trans.__('Last updated')}>{formatTime(endpoint.updated_at)}</span>
          </>
        ),
        footer: endpoint.status_reason ? (
          <div
            className="jp-studio-endpoint-reason"
            data-testid="endpoint-reason"
            title={endpoint.status_reason}
          >
            {endpoint.status_reason}
          </div>
        ) : null,
        onOpen: () => nav.openEndpoint(endpoint.name)
      }))}
    >
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
    </ResourceList>
  );
}
