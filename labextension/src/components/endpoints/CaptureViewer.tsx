/**
 * The endpoint view's captured traffic: the newest records of input and output the replicas wrote.
 */
import * as React from 'react';

import { EndpointsAPI, IDescribeEndpoint } from '../../api';
import { IEndpointsNav } from '../../tokens';
import { ErrorBox } from '../common/ErrorBox';
import { useRequest } from '../common/hooks';

export function CaptureViewer(props: {
  nav: IEndpointsNav;
  endpoint: IDescribeEndpoint;
}): JSX.Element {
  const { nav, endpoint } = props;
  const trans = nav.trans;
  const capture = useRequest(() => EndpointsAPI.capture(endpoint.name, 50), [endpoint.name]);
  const percent = endpoint.data_capture?.sampling_percent ?? 0;
  return (
    <div className="jp-studio-endpoint-capture" data-testid="endpoint-capture">
      <div className="jp-studio-actions">
        <span className="jp-studio-muted">
          {percent > 0
            ? trans.__(
                'Capturing %1% of requests (%2) in %3',
                percent,
                (endpoint.data_capture?.capture ?? []).join(', '),
                capture.data?.folder ?? ''
              )
            : trans.__('Data capture is off (set a sampling percentage below).')}
        </span>
        <button
          className="jp-Button jp-mod-styled"
          data-testid="endpoint-capture-refresh"
          onClick={capture.reload}
        >
          {trans.__('Refresh')}
        </button>
      </div>
      <ErrorBox message={capture.error} />
      {capture.data && capture.data.records.length ? (
        <table className="jp-studio-table jp-studio-capture-table">
          <thead>
            <tr>
              <th>{trans.__('Time')}</th>
              <th>{trans.__('Input')}</th>
              <th>{trans.__('Output')}</th>
              <th>{trans.__('File')}</th>
            </tr>
          </thead>
          <tbody>
            {capture.data.records.map((record, i) => (
              <tr key={i} data-testid="capture-record">
                <td>{new Date(record.time * 1000).toLocaleTimeString()}</td>
                <td>
                  <code title={record.input ?? ''}>{record.input ?? '—'}</code>
                </td>
                <td>
                  <code title={record.output ?? ''}>{record.output ?? '—'}</code>
                </td>
                <td className="jp-studio-muted">{record.file}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : capture.data ? (
        <div className="jp-studio-empty">{trans.__('No captured requests yet.')}</div>
      ) : null}
    </div>
  );
}
