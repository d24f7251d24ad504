/**
 * A channel's first rows under its path in the training form, read by the server the way the
 * algorithm's training will read them: the label column it will learn is marked, and what the
 * training would refuse (a missing label column, an unreadable file) shows as the server says it.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { AlgorithmsAPI, IChannelPreview, PreviewCell } from '../../api';
import { ErrorBox } from '../common/ErrorBox';
import { useDebounced, useRequest } from '../common/hooks';

/** Milliseconds of quiet typing before the preview is asked for. */
const DEBOUNCE_MS = 400;

function cellText(value: PreviewCell): string {
  return value === null ? '' : String(value);
}

/** One line on what the preview does not show: the label, the size, images' shape and classes. */
function summary(preview: IChannelPreview, trans: TranslationBundle): string {
  const parts = [preview.content_type];
  if (preview.rows_total !== null) {
    parts.push(trans.__('%1 rows', preview.rows_total));
  }
  parts.push(trans.__('%1 columns', preview.columns_total));
  if (preview.files > 1) {
    parts.push(trans.__('%1 files', preview.files));
  }
  if (preview.image_shape) {
    parts.push(trans.__('images %1', preview.image_shape.join('×')));
  }
  if (preview.classes) {
    const classes = Object.entries(preview.classes).map(([name, n]) => `${name}: ${n}`);
    parts.push(trans.__('classes %1', classes.join(', ')));
  }
  return parts.join(' · ');
}

export function ChannelPreview(props: {
  trans: TranslationBundle;
  algorithm: string;
  channel: string;
  path: string;
  /** The form's label column ('' for the algorithm's rule). */
  label: string;
}): JSX.Element | null {
  const { trans, algorithm, channel } = props;
  const path = useDebounced(props.path.trim(), DEBOUNCE_MS);
  const label = useDebounced(props.label.trim(), DEBOUNCE_MS);
  const preview = useRequest(
    () =>
      path
        ? AlgorithmsAPI.previewChannel(algorithm, { path, channel, label: label || null })
        : Promise.resolve(null),
    [algorithm, channel, path, label]
  );
  const testid = `channel-${channel}-preview`;
  if (!path) {
    return null;
  }
  if (preview.error) {
    return <ErrorBox message={preview.error} testid={`${testid}-error`} />;
  }
  const data = preview.data;
  if (!data) {
    return null;
  }
  // The label column first, where a narrow sidebar shows it without scrolling.
  const labelAt = data.label === null ? -1 : data.columns.indexOf(data.label);
  const order = data.columns.map((_, i) => i);
  if (labelAt > 0) {
    order.splice(labelAt, 1);
    order.unshift(labelAt);
  }
  const more = data.columns.length < data.columns_total;
  return (
    <div
      className="jp-studio-channel-preview"
      data-testid={testid}
      data-path={data.path}
      data-label={data.label ?? ''}
    >
      <div className="jp-studio-hint">
        {trans.__('Label column')}{' '}
        <strong data-testid={`${testid}-label`}>{data.label ?? trans.__('none')}</strong>
        {' · '}
        {summary(data, trans)}
      </div>
      <div className="jp-studio-table-scroll">
        <table className="jp-studio-table jp-studio-preview-table">
          <thead>
            <tr>
              {order.map(j => (
                <th
                  key={j}
                  className={j === labelAt ? 'jp-mod-label' : undefined}
                  title={j === labelAt ? trans.__('the label') : undefined}
                >
                  {data.columns[j]}
                </th>
              ))}
              {more ? <th>…</th> : null}
            </tr>
          </thead>
          <tbody>
            {data.rows.map((row, i) => (
              <tr key={i}>
                {order.map(j => (
                  <td key={j} className={j === labelAt ? 'jp-mod-label' : undefined}>
                    {cellText(row[j])}
                  </td>
                ))}
                {more ? <td /> : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
