/**
 * agol-jupyter's JupyterLab / Notebook 7 extension: ArcGIS sign-in status in the status bar,
 * and commands to sign in, sign out and show the status. It only talks to the server
 * extension's endpoints and never sees a token.
 */

import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  ICommandPalette,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Menu, Widget } from '@lumino/widgets';

import { agolUrl, logout, startFlow } from './api';
import {
  formatRemaining,
  LOGIN_SNIPPET,
  newRequestId,
  Source
} from './format';
import { SignInState } from './model';
import { StatusButton } from './statusItem';

const PLUGIN_ID = 'agol-jupyter:plugin';
const CATEGORY = 'ArcGIS';
const POPUP_NAME = 'agol-jupyter-signin';
const POPUP_FEATURES = 'popup,width=520,height=720';
const COPIED_CODE = `import agol_jupyter\n${LOGIN_SNIPPET}`;

export namespace CommandIDs {
  export const signIn = 'agol-jupyter:sign-in';
  export const signOut = 'agol-jupyter:sign-out';
  export const showStatus = 'agol-jupyter:show-status';
  export const copyLogin = 'agol-jupyter:copy-login';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'ArcGIS sign-in status in the status bar, with sign-in and sign-out commands.',
  autoStart: true,
  optional: [IStatusBar, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    statusBar: IStatusBar | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const state = new SignInState();
    addCommands(app, state);

    const menu = new Menu({ commands: app.commands });
    menu.addClass('agol-jupyter-menu');
    menu.title.label = 'ArcGIS';
    menu.addItem({ command: CommandIDs.signIn, args: { inMenu: true } });
    menu.addItem({ command: CommandIDs.signOut, args: { inMenu: true } });
    menu.addItem({ type: 'separator' });
    menu.addItem({ command: CommandIDs.copyLogin });
    menu.addItem({ command: CommandIDs.showStatus, args: { inMenu: true } });

    const button = new StatusButton(state, menu);
    if (statusBar) {
      statusBar.registerStatusItem(PLUGIN_ID, {
        item: button,
        align: 'left',
        rank: 1000
      });
    } else {
      // Notebook 7 has no status bar: its top bar holds the item instead.
      app.shell.add(button, 'top', { rank: 1000 });
    }

    if (palette) {
      for (const command of [
        CommandIDs.signIn,
        CommandIDs.signOut,
        CommandIDs.showStatus,
        CommandIDs.copyLogin
      ]) {
        palette.addItem({ command, category: CATEGORY });
      }
    }

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const read = (): void => {
            state.defaults = {
              portalUrl: String(settings.get('portalUrl').composite ?? ''),
              clientId: String(settings.get('clientId').composite ?? '')
            };
          };
          read();
          settings.changed.connect(read);
        })
        .catch(reason => {
          console.warn('agol-jupyter: could not load the settings', reason);
        });
    }

    state.start();
  }
};

function addCommands(app: JupyterFrontEnd, state: SignInState): void {
  const { commands } = app;

  commands.addCommand(CommandIDs.signIn, {
    label: args => (args.inMenu ? 'Sign in…' : 'ArcGIS: Sign in'),
    caption: 'Sign in to ArcGIS in a popup; notebooks then get their GIS with no click',
    execute: () => signIn(state)
  });

  commands.addCommand(CommandIDs.signOut, {
    label: args => {
      const session = state.view().session;
      if (args.inMenu) {
        return session ? `Sign out ${session.username}` : 'Sign out';
      }
      return 'ArcGIS: Sign out';
    },
    caption: 'Sign out of ArcGIS here and revoke the session at the portal',
    isEnabled: () => state.view().signedIn,
    execute: () => signOut(state)
  });

  commands.addCommand(CommandIDs.showStatus, {
    label: args => (args.inMenu ? 'Show sign-in status' : 'ArcGIS: Show sign-in status'),
    caption: 'Who is signed in to which portal, and for how long',
    execute: () => showStatus(state)
  });

  commands.addCommand(CommandIDs.copyLogin, {
    label: `Copy ${LOGIN_SNIPPET}`,
    caption: 'Copy the code that gets a signed-in GIS in a notebook',
    execute: () => {
      Clipboard.copyToSystem(COPIED_CODE);
      Notification.info(`Copied: ${COPIED_CODE.replace('\n', '; ')}`, { autoClose: 3000 });
    }
  });

  // Labels and enabled states follow the sign-in state.
  state.changed.connect(() => commands.notifyCommandChanged());
}

/**
 * Sign in in a popup. The window opens first, synchronously, inside the click or command
 * handler (popup blockers allow nothing later); it is sent to the sign-in start once the
 * server has created the flow. The callback saves the session on the server, so a notebook's
 * later ``agol_jupyter.login()`` returns at once.
 */
async function signIn(state: SignInState): Promise<void> {
  const popup = window.open('', POPUP_NAME, POPUP_FEATURES);
  if (popup) {
    try {
      popup.document.title = 'ArcGIS sign-in';
      popup.document.body.style.cssText =
        'font: 15px system-ui, sans-serif; margin: 2em; color: #444';
      popup.document.body.textContent = 'Opening the ArcGIS sign-in page…';
    } catch {
      // A window left on another origin by an earlier attempt: navigated below.
    }
  }
  if (!state.reply) {
    await state.refresh();
  }
  const target = state.target();
  const requestId = newRequestId(bytes => crypto.getRandomValues(bytes));
  let startUrl: string;
  try {
    startUrl = (await startFlow(requestId, target.request)).start_url;
  } catch (error) {
    popup?.close();
    const notes = target.notes.length ? `\n\n${target.notes.join('\n')}` : '';
    await showErrorMessage('ArcGIS sign-in could not start', `${(error as Error).message}${notes}`);
    return;
  }
  if (popup && !popup.closed) {
    popup.location.href = new URL(startUrl, window.location.href).href;
    popup.focus();
    state.watch(popup);
    return;
  }
  // Blocked (or closed at once): a link the person clicks opens the fallback sign-in page,
  // which asks before it starts anything.
  const link = document.createElement('a');
  link.href = agolUrl('login', { request_id: requestId, ...target.request });
  link.target = '_blank';
  link.rel = 'opener';
  link.textContent = 'Open the sign-in page';
  const body = new Widget();
  const text = document.createElement('p');
  text.textContent =
    'The browser blocked the sign-in window. Open the sign-in page from this link, or allow ' +
    'popups for this site and try again.';
  body.node.append(text, link);
  await showDialog({
    title: 'Sign in to ArcGIS',
    body,
    buttons: [Dialog.okButton({ label: 'Close' })]
  });
  void state.refresh();
}

async function signOut(state: SignInState): Promise<void> {
  await state.refresh();
  const session = state.view().session;
  if (!session) {
    Notification.info('Not signed in to ArcGIS here.', { autoClose: 4000 });
    return;
  }
  const ref = {
    portal: session.portal,
    client_id: session.client_id,
    profile: session.profile
  };
  try {
    const reply = await logout(ref);
    state.announce({ type: 'agol-jupyter:signed-out', ...ref });
    if (reply.revoked) {
      Notification.success(reply.message, { autoClose: 5000 });
    } else {
      Notification.warning(reply.message, { autoClose: false });
    }
  } catch (error) {
    Notification.error(`Sign-out failed: ${(error as Error).message}`, { autoClose: false });
  }
  await state.refresh();
}

const SOURCE_TEXT: Record<Source, string> = {
  server: 'from the Jupyter server configuration',
  settings: 'from your settings',
  none: 'not configured'
};

async function showStatus(state: SignInState): Promise<void> {
  await state.refresh();
  const view = state.view();
  const target = state.target();
  const reply = state.reply;
  const now = Date.now() / 1000;
  const rows: [string, string][] = [];
  const session = view.session;
  if (session) {
    rows.push(
      ['Signed in as', session.full_name ? `${session.full_name} (${session.username})` : session.username],
      ['Organization', session.org_name],
      ['Portal', session.portal],
      ['Profile', session.profile],
      [
        'Session',
        session.session_expires_at > now
          ? `ends in ${formatRemaining(session.session_expires_at - now)}`
          : 'expired: sign in again'
      ],
      ['Signed in at', new Date(session.signed_in_at * 1000).toLocaleString()]
    );
  } else {
    rows.push(['Status', reply ? 'Not signed in' : `Unknown: ${state.error}`]);
  }
  rows.push(
    ['Sign-in portal', `${target.portal || '—'} (${SOURCE_TEXT[target.portalSource]})`],
    ['Client id', `${target.clientId || '—'} (${SOURCE_TEXT[target.clientIdSource]})`]
  );
  if (reply) {
    rows.push(['Redirect URI', reply.redirect_uri], ['agol-jupyter', reply.version]);
    const others = reply.sessions.length - (session ? 1 : 0);
    if (others > 0) {
      rows.push(['Other saved sessions', String(others)]);
    }
  }
  const body = new Widget();
  body.addClass('agol-jupyter-status-dialog');
  const list = document.createElement('dl');
  for (const [label, value] of rows) {
    if (!value) {
      continue;
    }
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value;
    list.append(dt, dd);
  }
  body.node.append(list);
  for (const note of target.notes) {
    const p = document.createElement('p');
    p.textContent = note;
    body.node.append(p);
  }
  await showDialog({
    title: 'ArcGIS sign-in',
    body,
    buttons: [Dialog.okButton({ label: 'Close' })]
  });
}

export default plugin;
