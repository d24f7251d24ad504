/**
 * The only fetch path to the studio server: `requestAPI<T>()` over ServerConnection, typed errors.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** Root of every studio REST route, relative to the Jupyter base URL. */
export const API_NAMESPACE = 'studio/api';

/** A failed studio request: the server's `{error_code, message}` and status, or a network failure. */
export class StudioRequestError extends Error {
  constructor(
    /** The HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    /** The server's error_code (e.g. `ResourceNotFound`), `HTTP<status>` or `NetworkError`. */
    readonly errorCode: string,
    message: string
  ) {
    super(message);
    this.name = 'StudioRequestError';
  }
}

/** What a view shows for a failure: the server's message, or the error's own text. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}

/** A URL on this Jupyter server under `namespace` (for links the browser follows itself). */
export function apiUrl(endPoint: string, namespace = API_NAMESPACE): string {
  return URLExt.join(ServerConnection.makeSettings().baseUrl, namespace, endPoint);
}

/** A query parameter's value; null, undefined and '' leave the parameter out. */
type QueryValue = string | number | boolean | null | undefined;

/** `?a=1&b=2` from the defined values of a query object ('' when none). */
export function queryString(query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query) as [string, QueryValue][]) {
    if (value !== undefined && value !== null && value !== '') {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Request options carrying `body` as JSON. */
export function jsonBody(method: string, body: unknown): RequestInit {
  return {
    method,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' }
  };
}

/** How requestAPI answers: the parsed JSON body (default), or the raw Response of any status. */
export interface IRequestOptions {
  /** Route root under the base URL (default `studio/api`). */
  namespace?: string;
  /** Answer the Response as it is, whatever its status (no JSON parsing, no error mapping). */
  raw?: boolean;
}

/**
 * Call the studio server.
 *
 * @param endPoint path under the namespace (query string included)
 * @param init fetch options; a JSON body comes from jsonBody()
 * @param options namespace and raw mode (see IRequestOptions)
 * @returns the parsed body (undefined for an empty answer, e.g. 204), or the Response when raw
 * @throws StudioRequestError with the server's error_code, message and status (raw: network only)
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  options: IRequestOptions = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, options.namespace ?? API_NAMESPACE, endPoint);
  // 'no-store' (the default) makes JupyterLab append a bare `?<timestamp>` cache buster that the
  // studio's strict query parsing rejects; 'no-cache' still revalidates every answer.
  const request: RequestInit = { cache: 'no-cache', ...init };
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, request, settings);
  } catch (error) {
    throw new StudioRequestError(0, 'NetworkError', errorMessage(error));
  }
  if (options.raw) {
    return response as T;
  }
  const text = await response.text();
  let data: unknown = undefined;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const answer = (data && typeof data === 'object' ? data : {}) as {
      error_code?: string;
      message?: string;
    };
    const message =
      answer.message ||
      (typeof data === 'string' && data.length < 300 ? data : '') ||
      `${response.status} ${response.statusText}`;
    throw new StudioRequestError(
      response.status,
      answer.error_code || `HTTP${response.status}`,
      message
    );
  }
  return data as T;
}
