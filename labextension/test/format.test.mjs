// Unit tests of the status item's pure logic (src/format.ts, compiled to lib/format.js).
// Run: jlpm test (builds lib/ first), or node --test test/ after jlpm build:lib.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  describeStatus,
  errorText,
  formatCountdown,
  formatRemaining,
  isDoneMessage,
  newRequestId,
  pickSession,
  portalKey,
  resolveTarget,
  SIGNED_OUT_LABEL
} from '../lib/format.js';

const NOW = 1_700_000_000;
const PORTAL = 'https://gis.example.com/portal';

function session(overrides = {}) {
  return {
    portal: PORTAL,
    client_id: 'app1',
    profile: 'default',
    username: 'alice',
    full_name: 'Alice Example',
    org_name: 'Field Office',
    access_expires_at: NOW + 1800,
    session_expires_at: NOW + 6300,
    signed_in_at: NOW - 60,
    ...overrides
  };
}

function reply(sessions, configured = { portal: PORTAL, client_id: 'app1' }) {
  return { configured, redirect_uri: 'http://127.0.0.1:8888/agol/callback', sessions, version: '0.1.0' };
}

const NO_DEFAULTS = { portalUrl: '', clientId: '' };

test('formatCountdown: minutes only, hours and minutes, days', () => {
  assert.equal(formatCountdown(6300), '1 h 45 m');
  assert.equal(formatCountdown(3600), '1 h');
  assert.equal(formatCountdown(3599), '59 m');
  assert.equal(formatCountdown(61), '1 m');
  assert.equal(formatCountdown(59), '< 1 m');
  assert.equal(formatCountdown(0), '< 1 m');
  assert.equal(formatCountdown(-5), '< 1 m');
  assert.equal(formatCountdown(86400 + 7200), '1 day 2 h');
  assert.equal(formatCountdown(14 * 86400), '14 days');
  assert.equal(formatCountdown(NaN), '');
  assert.equal(formatCountdown(Infinity), '');
});

test('formatRemaining matches the notebook widget wording', () => {
  assert.equal(formatRemaining(45), '45 s');
  assert.equal(formatRemaining(200), '3 m 20 s');
  assert.equal(formatRemaining(120), '2 m');
  assert.equal(formatRemaining(6300), '1 h 45 m');
  assert.equal(formatRemaining(3 * 86400 + 4 * 3600), '3 days 4 h');
  assert.equal(formatRemaining(8 * 86400 + 4 * 3600), '8 days');
  assert.equal(formatRemaining(Number.NaN), 'unknown');
});

test('signed in: user, org and countdown in the label; a full sentence for screen readers', () => {
  const view = describeStatus(reply([session()]), NO_DEFAULTS, NOW);
  assert.equal(view.signedIn, true);
  assert.equal(view.label, 'ArcGIS: alice · Field Office · 1 h 45 m');
  assert.match(view.description, /signed in as Alice Example \(alice\) at Field Office/);
  assert.match(view.description, /session ends in 1 h 45 m/);
  assert.equal(view.session.username, 'alice');
});

test('signed in without an org name: the portal host stands in', () => {
  const view = describeStatus(reply([session({ org_name: '' })]), NO_DEFAULTS, NOW);
  assert.equal(view.label, 'ArcGIS: alice · gis.example.com · 1 h 45 m');
});

test('signed out, before the first answer, and when the server fails', () => {
  const out = describeStatus(reply([]), NO_DEFAULTS, NOW);
  assert.equal(out.signedIn, false);
  assert.equal(out.label, SIGNED_OUT_LABEL);
  assert.match(out.description, /not signed in to https:\/\/gis\.example\.com\/portal/);
  const none = describeStatus(null, NO_DEFAULTS, NOW);
  assert.equal(none.label, 'ArcGIS: Sign in');
  const failed = describeStatus(null, NO_DEFAULTS, NOW, 'HTTP 500');
  assert.match(failed.description, /unknown: HTTP 500/);
});

test('an expired session reads as signed out and says it expired', () => {
  const view = describeStatus(reply([session({ session_expires_at: NOW - 1 })]), NO_DEFAULTS, NOW);
  assert.equal(view.signedIn, false);
  assert.equal(view.label, SIGNED_OUT_LABEL);
  assert.match(view.description, /session of Alice Example \(alice\) at Field Office has expired/);
});

test('pickSession prefers the default profile of the target, else the latest live one', () => {
  const target = { portal: PORTAL, clientId: 'app1' };
  const prod = session({ profile: 'prod', username: 'bob', signed_in_at: NOW });
  const mine = session();
  assert.equal(pickSession([prod, mine], target, NOW).username, 'alice');
  // Only another profile: still shown (a notebook signed in with profile="prod").
  assert.equal(pickSession([prod], target, NOW).username, 'bob');
  const elsewhere = session({ portal: 'https://other.maps.arcgis.com', username: 'carol' });
  assert.equal(pickSession([elsewhere], target, NOW).username, 'carol');
  // The target's own session expired, another is live: show the live one.
  const expired = session({ session_expires_at: NOW - 10 });
  assert.equal(pickSession([expired, elsewhere], target, NOW).username, 'carol');
  assert.equal(pickSession([expired], target, NOW).username, 'alice');
  assert.equal(pickSession([], target, NOW), null);
  // Portal URLs compare without a trailing slash and with a lower-case host.
  const upper = session({ portal: 'https://GIS.example.com/portal/', profile: 'default' });
  assert.equal(pickSession([prod, upper], target, NOW), upper);
});

test("resolveTarget: the server's configured values win, and the notes say so", () => {
  const t = resolveTarget(
    { portal: PORTAL, client_id: 'app1' },
    { portalUrl: 'https://mine.maps.arcgis.com', clientId: 'mine' }
  );
  assert.equal(t.portal, PORTAL);
  assert.equal(t.clientId, 'app1');
  assert.equal(t.portalSource, 'server');
  assert.equal(t.clientIdSource, 'server');
  assert.deepEqual(t.request, {});
  assert.equal(t.notes.length, 2);
  assert.match(t.notes[0], /configured with the portal https:\/\/gis\.example\.com\/portal; it is used instead/);
  assert.match(t.notes[1], /client id app1; it is used instead of the client id in your settings \(mine\)/);
});

test('resolveTarget: settings fill in what the server lacks, and are sent with the flow', () => {
  const t = resolveTarget({ portal: '', client_id: '' }, { portalUrl: ' https://mine.maps.arcgis.com ', clientId: 'mine' });
  assert.equal(t.portalSource, 'settings');
  assert.equal(t.clientIdSource, 'settings');
  assert.deepEqual(t.request, { portal: 'https://mine.maps.arcgis.com', client_id: 'mine' });
  assert.deepEqual(t.notes, []);
  const half = resolveTarget({ portal: PORTAL, client_id: '' }, { portalUrl: '', clientId: 'mine' });
  assert.deepEqual(half.request, { client_id: 'mine' });
  // Same portal in both (other spelling): no note about overriding.
  const same = resolveTarget({ portal: PORTAL, client_id: 'app1' }, { portalUrl: 'https://gis.example.com/portal/', clientId: '' });
  assert.deepEqual(same.notes, []);
});

test('resolveTarget: nothing configured anywhere names the fix', () => {
  const t = resolveTarget(null, NO_DEFAULTS);
  assert.equal(t.portalSource, 'none');
  assert.match(t.notes.join(' '), /set "Portal URL" in Settings > Settings Editor/);
  assert.match(t.notes.join(' '), /c\.AgolJupyter\.client_id/);
});

test('newRequestId: URL-safe, within the server limits (16-128 characters)', () => {
  const id = newRequestId(bytes => bytes.fill(255));
  assert.match(id, /^[A-Za-z0-9_-]{16,128}$/);
  assert.equal(id.length, 32);
  const random = newRequestId(bytes => globalThis.crypto.getRandomValues(bytes));
  assert.match(random, /^[A-Za-z0-9_-]{32}$/);
});

test('errorText: the server message and remedy, or a hint for a missing extension', () => {
  assert.equal(
    errorText({ error: 'configuration', message: 'No portal.', remedy: 'Set one.' }, 400),
    'No portal. Set one.'
  );
  assert.equal(errorText({ message: 'Only this.' }, 400), 'Only this.');
  assert.match(errorText(null, 404), /jupyter server extension list/);
  assert.equal(errorText('junk', 502), 'The Jupyter server answered HTTP 502.');
});

test('isDoneMessage and portalKey', () => {
  assert.equal(isDoneMessage({ type: 'agol-jupyter:done', status: 'ok' }), true);
  assert.equal(isDoneMessage({ type: 'other' }), false);
  assert.equal(isDoneMessage(null), false);
  assert.equal(portalKey('HTTPS://Gis.Example.com/Portal/'), 'https://gis.example.com/Portal');
});
