/**
 * The server extension's endpoints under `{base_url}agol/api/`, called through Jupyter's own
 * request helper so the base URL (also JupyterHub's /user/<name>/) and the XSRF header are
 * right. None of them ever answers a token.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { errorText, StatusReply } from './format';

/** An error answer of the server extension, or a failure to reach it. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The answer of `POST agol/api/flows`. */
export interface FlowReply {
  start_url: string;
  redirect_uri: string;
  expires_in: number;
}

/** The answer of `POST agol/api/logout`. */
export interface LogoutReply {
  signed_out: boolean;
  revoked: boolean;
  message: string;
}

/** Which session to act on; absent values mean the server's configured ones. */
export interface SessionRef {
  portal?: string;
  client_id?: string;
  profile?: string;
}

/** The base URL of the Jupyter server, e.g. "/" or "/user/alice/". */
export function baseUrl(): string {
  return ServerConnection.makeSettings().baseUrl;
}

/** A URL under `{base_url}agol/` (for pages such as the fallback sign-in form). */
export function agolUrl(path: string, query: Record<string, string> = {}): string {
  const url = URLExt.join(baseUrl(), 'agol', path);
  const search = new URLSearchParams(query).toString();
  return search ? `${url}?${search}` : url;
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'agol', 'api', path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(
      `Could not reach the Jupyter server (${(error as Error).message || error}). ` +
        'Check that it is still running, then try again.',
      0
    );
  }
  let data: unknown = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(errorText(data, response.status), response.status);
  }
  return data as T;
}

function post<T>(path: string, body: Record<string, string | undefined>): Promise<T> {
  return call<T>(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  });
}

/** `GET agol/api/status`: the configuration and the saved sessions. */
export function fetchStatus(): Promise<StatusReply> {
  return call<StatusReply>('status');
}

/** `POST agol/api/flows`: start a sign-in; answers the URL the popup should open. */
export function startFlow(requestId: string, ref: SessionRef): Promise<FlowReply> {
  return post<FlowReply>('flows', { request_id: requestId, ...ref });
}

/** `POST agol/api/logout`: revoke the session at the portal and forget it here. */
export function logout(ref: SessionRef): Promise<LogoutReply> {
  return post<LogoutReply>('logout', { ...ref });
}
