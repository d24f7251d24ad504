/**
 * The endpoint view's test box: a sample payload from the model's input example, send, the answer.
 */
import * as React from 'react';

import {
  EndpointsAPI,
  IDescribeEndpoint,
  IInvocationResult,
  ModelsAPI,
  parseModelUri
} from '../../api';
import { IEndpointsNav } from '../../tokens';
import { ErrorBox } from '../common/ErrorBox';
import { useAction, useRequest } from '../common/hooks';

/**
 * A request body for the scoring server from a logged input example: a pandas example is stored
 * split-oriented (`{columns, data}`), a list as records or tensors, anything else as `inputs`.
 */
export function samplePayload(example: unknown): string | null {
  if (example === null || example === undefined) {
    return null;
  }
  let body: unknown;
  if (typeof example === 'object' && !Array.isArray(example) && 'columns' in example) {
    body = { dataframe_split: example };
  } else if (
    Array.isArray(example) &&
    example.length &&
    typeof example[0] === 'object' &&
    !Array.isArray(example[0])
  ) {
    body = { dataframe_records: example };
  } else if (Array.isArray(example)) {
    body = { instances: example };
  } else {
    body = { inputs: example };
  }
  return JSON.stringify(body, null, 2);
}

/** The input example of the model behind `uri` (a version, or the version an alias points at). */
async function inputExample(uri: string): Promise<unknown> {
  const parsed = parseModelUri(uri);
  if (!parsed) {
    return null;
  }
  let version = parsed.version;
  if (!version && parsed.alias) {
    version = (await ModelsAPI.get(parsed.name)).aliases[parsed.alias];
  }
  return version ? (await ModelsAPI.getVersion(parsed.name, version)).input_example : null;
}

export function TestInvokeBox(props: {
  nav: IEndpointsNav;
  endpoint: IDescribeEndpoint;
}): JSX.Element {
  const { nav, endpoint } = props;
  const trans = nav.trans;
  const model = endpoint.variants[0]?.model ?? '';
  const example = useRequest(() => inputExample(model), [model]);
  const [body, setBody] = React.useState<string | null>(null);
  const [contentType, setContentType] = React.useState('application/json');
  const [result, setResult] = React.useState<IInvocationResult | null>(null);
  const action = useAction();
  const sample = samplePayload(example.data);
  const text = body ?? sample ?? '';
  const send = () =>
    action.run(async () => setResult(await EndpointsAPI.invoke(endpoint.name, text, contentType)));
  let shown = result?.body ?? '';
  try {
    shown = JSON.stringify(JSON.parse(shown), null, 2);
  } catch {
    // not JSON (CSV or a proxy's text): as it came
  }
  return (
    <div className="jp-studio-endpoint-test" data-testid="endpoint-test">
      <div className="jp-studio-actions">
        <select
          className="jp-mod-styled"
          data-testid="endpoint-test-content-type"
          value={contentType}
          onChange={event => setContentType(event.target.value)}
        >
          <option value="application/json">application/json</option>
          <option value="text/csv">text/csv</option>
        </select>
        <button
          className="jp-Button jp-mod-styled"
          data-testid="endpoint-test-sample"
          disabled={!sample}
          title={trans.__("A request built from the model version's input example")}
          onClick={() => {
            setBody(null);
            setContentType('application/json');
          }}
        >
          {trans.__('Sample payload')}
        </button>
      </div>
      <textarea
        className="jp-mod-styled jp-studio-endpoint-payload"
        data-testid="endpoint-test-body"
        spellCheck={false}
        rows={10}
        value={text}
        placeholder={
          example.loading
            ? trans.__('Loading the input example…')
            : trans.__('{"dataframe_split": {"columns": [...], "data": [[...]]}}')
        }
        onChange={event => setBody(event.target.value)}
      />
      <div className="jp-studio-actions">
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          data-testid="endpoint-test-send"
          disabled={action.busy || !text.trim()}
          onClick={() => void send()}
        >
          {trans.__('Send')}
        </button>
        {result ? (
          <span
            className={result.status < 400 ? 'jp-studio-success' : 'jp-studio-muted'}
            data-testid="endpoint-test-status"
            data-status={result.status}
          >
            {`HTTP ${result.status}`}
            {result.variant ? ` · ${result.variant}` : ''} · {result.elapsedMs.toFixed(0)} ms
          </span>
        ) : null}
      </div>
      <ErrorBox message={action.error} />
      {result ? (
        <pre
          className={`jp-studio-json ${result.status >= 400 ? 'jp-studio-endpoint-response-error' : ''}`}
          data-testid="endpoint-test-response"
          data-status={result.status}
        >
          {shown}
        </pre>
      ) : null}
    </div>
  );
}
