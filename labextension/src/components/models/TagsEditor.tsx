/**
 * Editable description and tags of a registered model or of a model version.
 */
import * as React from 'react';

import { IUpdateTagged } from '../../api';
import { IMlflowNav } from '../../tokens';
import { ErrorBox } from '../common/ErrorBox';
import { useAction, useOnChange } from '../common/hooks';

/** Editable description and tags of a model or a version (PATCH on save). */
export function TagsEditor(props: {
  nav: IMlflowNav;
  description: string | null;
  tags: Record<string, string>;
  save: (body: IUpdateTagged) => Promise<void>;
  testid: string;
}): JSX.Element {
  const trans = props.nav.trans;
  const [description, setDescription] = React.useState(props.description ?? '');
  const [key, setKey] = React.useState('');
  const [value, setValue] = React.useState('');
  const action = useAction();
  const busy = action.busy;
  useOnChange(props.description ?? '', setDescription);
  const run = (body: IUpdateTagged) => action.run(() => props.save(body));
  return (
    <div className="jp-studio-tags-editor" data-testid={props.testid}>
      <div className="jp-studio-toolbar">
        <input
          className="jp-mod-styled jp-studio-filter-grow"
          data-testid="description-input"
          placeholder={trans.__('Description')}
          value={description}
          onChange={event => setDescription(event.target.value)}
        />
        <button
          className="jp-Button jp-mod-styled jp-mod-reject"
          data-testid="description-save"
          disabled={busy || description === (props.description ?? '')}
          onClick={() => void run({ description })}
        >
          {trans.__('Save description')}
        </button>
      </div>
      <div className="jp-studio-chips">
        {Object.entries(props.tags)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => (
            <span key={k} className="jp-studio-chip" data-tag={k}>
              {k}={v}
              <button
                className="jp-studio-chip-remove"
                title={trans.__('Delete tag %1', k)}
                disabled={busy}
                onClick={() => void run({ tags: { [k]: null } })}
              >
                ×
              </button>
            </span>
          ))}
      </div>
      <div className="jp-studio-toolbar">
        <input
          className="jp-mod-styled"
          data-testid="tag-key"
          placeholder={trans.__('tag')}
          value={key}
          onChange={event => setKey(event.target.value)}
        />
        <input
          className="jp-mod-styled"
          data-testid="tag-value"
          placeholder={trans.__('value')}
          value={value}
          onChange={event => setValue(event.target.value)}
        />
        <button
          className="jp-Button jp-mod-styled jp-mod-reject"
          data-testid="tag-add"
          disabled={busy || !key.trim()}
          onClick={() =>
            void run({ tags: { [key.trim()]: value } }).then(ok => {
              if (ok) {
                setKey('');
                setValue('');
              }
            })
          }
        >
          {trans.__('Set tag')}
        </button>
      </div>
      <ErrorBox message={action.error} />
    </div>
  );
}
