/**
 * Pure logic of the status item: which saved session the item is about, and how its status
 * and countdown read. No DOM and no JupyterLab imports, so node's test runner can load it.
 */

/** One saved session as `GET agol/api/status` describes it (never a token). */
export interface SessionSummary {
  portal: string;
  client_id: string;
  profile: string;
  username: string;
  full_name: string;
  org_name: string;
  access_expires_at: number;
  session_expires_at: number;
  signed_in_at: number;
}

/** The answer of `GET agol/api/status`. */
export interface StatusReply {
  configured: { portal: string; client_id: string };
  redirect_uri: string;
  sessions: SessionSummary[];
  version: string;
}

/** A person's own defaults from the settings (empty strings when unset). */
export interface UserDefaults {
  portalUrl: string;
  clientId: string;
}

/** Where the portal and client id used for a sign-in come from. */
export type Source = 'server' | 'settings' | 'none';

/** The portal and client id a sign-in from the lab extension goes to. */
export interface Target {
  /** Empty when neither the server nor the settings name one. */
  portal: string;
  clientId: string;
  portalSource: Source;
  clientIdSource: Source;
  /**
   * The values to send to `POST agol/api/flows`: only those from the settings (the server
   * fills in its own), so a server-configured value always wins.
   */
  request: { portal?: string; client_id?: string };
  /** Sentences for people, e.g. that the server's value overrides a setting. */
  notes: string[];
}

/** What the status item shows. */
export interface StatusView {
  signedIn: boolean;
  /** The visible text, e.g. "ArcGIS: alice · Field Office · 1 h 45 m". */
  label: string;
  /** A full sentence for the tooltip and screen readers. */
  description: string;
  /** The session the item is about (also an expired one), or null. */
  session: SessionSummary | null;
}

export const DEFAULT_PROFILE = 'default';
export const SIGNED_OUT_LABEL = 'ArcGIS: Sign in';
export const LOGIN_SNIPPET = 'gis = agol_jupyter.login()';

/**
 * A duration for people: "45 s", "12 m 5 s", "1 h 45 m", "3 days 4 h", "2 weeks" is
 * "14 days". Same wording as the notebook widget's countdown.
 */
export function formatRemaining(seconds: number): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
    return 'unknown';
  }
  const s = Math.max(0, Math.floor(seconds));
  const pair = (a: number, unitA: string, b: number, unitB: string): string =>
    b ? `${a} ${unitA} ${b} ${unitB}` : `${a} ${unitA}`;
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    return pair(Math.floor(s / 60), 'm', s % 60, 's');
  }
  if (s < 86400) {
    return pair(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'm');
  }
  const days = Math.floor(s / 86400);
  const dayText = days === 1 ? '1 day' : `${days} days`;
  const hours = Math.floor((s % 86400) / 3600);
  return days < 7 && hours ? `${dayText} ${hours} h` : dayText;
}

/**
 * The short countdown for the status bar: minutes only once past a minute ("1 h 45 m",
 * "12 m"), so the text does not change every second.
 */
export function formatCountdown(seconds: number): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
    return '';
  }
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) {
    return '< 1 m';
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} m`;
  }
  if (s < 86400) {
    const minutes = Math.floor((s % 3600) / 60);
    return minutes ? `${Math.floor(s / 3600)} h ${minutes} m` : `${Math.floor(s / 3600)} h`;
  }
  return formatRemaining(s);
}

/** A portal URL compared the way the server stores it: no trailing slash, lower-case host. */
export function portalKey(url: string): string {
  const text = (url || '').trim().replace(/\/+$/, '');
  const match = /^(https?:\/\/)([^/]+)(.*)$/i.exec(text);
  return match ? match[1].toLowerCase() + match[2].toLowerCase() + match[3] : text;
}

/** Which portal and client id a sign-in uses: the server's configured values win. */
export function resolveTarget(
  configured: { portal: string; client_id: string } | null,
  defaults: UserDefaults
): Target {
  const serverPortal = (configured?.portal || '').trim();
  const serverClient = (configured?.client_id || '').trim();
  const ownPortal = (defaults.portalUrl || '').trim();
  const ownClient = (defaults.clientId || '').trim();
  const notes: string[] = [];
  const request: { portal?: string; client_id?: string } = {};

  let portal = '';
  let portalSource: Source = 'none';
  if (serverPortal) {
    portal = serverPortal;
    portalSource = 'server';
    if (ownPortal && portalKey(ownPortal) !== portalKey(serverPortal)) {
      notes.push(
        `The Jupyter server is configured with the portal ${serverPortal}; it is used instead ` +
          `of the portal URL in your settings (${ownPortal}).`
      );
    }
  } else if (ownPortal) {
    portal = ownPortal;
    portalSource = 'settings';
    request.portal = ownPortal;
  }

  let clientId = '';
  let clientIdSource: Source = 'none';
  if (serverClient) {
    clientId = serverClient;
    clientIdSource = 'server';
    if (ownClient && ownClient !== serverClient) {
      notes.push(
        `The Jupyter server is configured with the client id ${serverClient}; it is used ` +
          `instead of the client id in your settings (${ownClient}).`
      );
    }
  } else if (ownClient) {
    clientId = ownClient;
    clientIdSource = 'settings';
    request.client_id = ownClient;
  }

  if (!portal) {
    notes.push(
      'No portal is configured: set "Portal URL" in Settings > Settings Editor > ArcGIS ' +
        'sign-in, or ask the server administrator to set c.AgolJupyter.portal_url.'
    );
  }
  if (!clientId) {
    notes.push(
      'No client id is configured: set "Client id" in Settings > Settings Editor > ArcGIS ' +
        'sign-in (the app item in your portal), or ask the administrator to set ' +
        'c.AgolJupyter.client_id.'
    );
  }
  return { portal, clientId, portalSource, clientIdSource, request, notes };
}

/**
 * The session the status item is about: the default profile's session for the target portal
 * and client id when there is one; otherwise (no target, or a notebook signed in elsewhere)
 * the live session signed in most recently.
 */
export function pickSession(
  sessions: SessionSummary[],
  target: Pick<Target, 'portal' | 'clientId'>,
  nowSeconds: number
): SessionSummary | null {
  const list = Array.isArray(sessions) ? sessions : [];
  const matches = (s: SessionSummary): boolean =>
    (!target.portal || portalKey(s.portal) === portalKey(target.portal)) &&
    (!target.clientId || s.client_id === target.clientId);
  const exact = list.find(s => matches(s) && (s.profile || DEFAULT_PROFILE) === DEFAULT_PROFILE);
  if (exact && exact.session_expires_at > nowSeconds) {
    return exact;
  }
  const live = list
    .filter(s => s.session_expires_at > nowSeconds)
    .sort((a, b) => (b.signed_in_at || 0) - (a.signed_in_at || 0));
  const preferred = live.find(matches) ?? live[0];
  return preferred ?? exact ?? null;
}

/** The status item's text and description for a status reply (or none yet / an error). */
export function describeStatus(
  reply: StatusReply | null,
  defaults: UserDefaults,
  nowSeconds: number,
  error = ''
): StatusView {
  if (!reply) {
    return {
      signedIn: false,
      label: SIGNED_OUT_LABEL,
      description: error
        ? `ArcGIS sign-in status is unknown: ${error}`
        : 'ArcGIS: not signed in. Activate to sign in.',
      session: null
    };
  }
  const target = resolveTarget(reply.configured, defaults);
  const session = pickSession(reply.sessions, target, nowSeconds);
  if (!session) {
    const where = target.portal ? ` to ${target.portal}` : '';
    return {
      signedIn: false,
      label: SIGNED_OUT_LABEL,
      description: `ArcGIS: not signed in${where}. Activate to sign in.`,
      session: null
    };
  }
  const left = session.session_expires_at - nowSeconds;
  const who = session.full_name
    ? `${session.full_name} (${session.username})`
    : session.username;
  const org = session.org_name || hostOf(session.portal);
  if (left <= 0) {
    return {
      signedIn: false,
      label: SIGNED_OUT_LABEL,
      description: `ArcGIS: the session of ${who} at ${org} has expired. Activate to sign in again.`,
      session
    };
  }
  return {
    signedIn: true,
    label: ['ArcGIS: ' + session.username, org, formatCountdown(left)].join(' · '),
    description:
      `ArcGIS: signed in as ${who} at ${org} (${session.portal}); ` +
      `the session ends in ${formatRemaining(left)}. Activate for sign-in and sign-out.`,
    session
  };
}

/** The host of a URL, or the text itself when it is not one. */
export function hostOf(url: string): string {
  const match = /^https?:\/\/([^/:]+)/i.exec(url || '');
  return match ? match[1] : url;
}

/** A random request id for `POST agol/api/flows` (URL-safe, 32 characters). */
export function newRequestId(random: (bytes: Uint8Array) => Uint8Array): string {
  const bytes = random(new Uint8Array(24));
  let text = '';
  for (const b of bytes) {
    text += String.fromCharCode(b);
  }
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The message of a JSON error answer: `{error, message, remedy}` from the server. */
export function errorText(data: unknown, status: number): string {
  if (data && typeof data === 'object') {
    const { message, remedy } = data as { message?: unknown; remedy?: unknown };
    if (typeof message === 'string' && message) {
      return typeof remedy === 'string' && remedy ? `${message} ${remedy}` : message;
    }
  }
  if (status === 404) {
    return (
      'The agol-jupyter server extension is not answering (HTTP 404). Check that ' +
      '`jupyter server extension list` shows agol_jupyter enabled, then restart Jupyter.'
    );
  }
  return `The Jupyter server answered HTTP ${status}.`;
}

/** True for the message the sign-in callback page posts when a flow ends. */
export function isDoneMessage(data: unknown): boolean {
  return (
    !!data &&
    typeof data === 'object' &&
    (data as { type?: unknown }).type === 'agol-jupyter:done'
  );
}
