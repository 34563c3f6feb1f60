/**
 * The sign-in state the status item and the commands share: the server's last status answer
 * and the person's settings, refreshed every few seconds and at once when a sign-in ends.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { fetchStatus } from './api';
import {
  describeStatus,
  isDoneMessage,
  resolveTarget,
  StatusReply,
  StatusView,
  Target,
  UserDefaults
} from './format';

/** The channel the sign-in callback page posts its outcome on (see server/pages.py). */
export const CHANNEL = 'agol-jupyter';
/** How often the status is fetched while the page is visible. */
export const POLL_MS = 4000;

export class SignInState {
  private _reply: StatusReply | null = null;
  private _error = '';
  private _defaults: UserDefaults = { portalUrl: '', clientId: '' };
  private _changed = new Signal<this, void>(this);
  private _timer: number | null = null;
  private _channel: BroadcastChannel | null = null;
  private _inflight: Promise<void> | null = null;
  private _again = false;
  private _disposed = false;

  /** Emitted after every refresh and settings change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The last status answer (null before the first, or after a failure). */
  get reply(): StatusReply | null {
    return this._reply;
  }

  /** Why the last refresh failed, or "". */
  get error(): string {
    return this._error;
  }

  get defaults(): UserDefaults {
    return this._defaults;
  }

  set defaults(value: UserDefaults) {
    this._defaults = { portalUrl: value.portalUrl || '', clientId: value.clientId || '' };
    this._changed.emit();
  }

  /** What the status item shows now. */
  view(): StatusView {
    return describeStatus(this._reply, this._defaults, Date.now() / 1000, this._error);
  }

  /** Where a sign-in goes (the server's configured values win over the settings). */
  target(): Target {
    return resolveTarget(this._reply?.configured ?? null, this._defaults);
  }

  /** Fetch the status now; concurrent calls share one request plus one follow-up. */
  refresh(): Promise<void> {
    if (this._inflight) {
      this._again = true;
      return this._inflight;
    }
    this._inflight = (async () => {
      do {
        this._again = false;
        try {
          this._reply = await fetchStatus();
          this._error = '';
        } catch (error) {
          this._reply = null;
          this._error = (error as Error).message || String(error);
        }
      } while (this._again && !this._disposed);
      this._inflight = null;
      if (!this._disposed) {
        this._changed.emit();
      }
    })();
    return this._inflight;
  }

  /** Start polling and listening for the callback page's "done" messages. */
  start(): void {
    void this.refresh();
    this._timer = window.setInterval(() => {
      if (!document.hidden) {
        void this.refresh();
      }
    }, POLL_MS);
    document.addEventListener('visibilitychange', this._onVisible);
    window.addEventListener('message', this._onMessage);
    if (typeof BroadcastChannel === 'function') {
      this._channel = new BroadcastChannel(CHANNEL);
      this._channel.onmessage = (event: MessageEvent) => {
        if (isDoneMessage(event.data)) {
          void this.refresh();
        }
      };
    }
  }

  /** Refresh every second until ``popup`` is closed (then once more). */
  watch(popup: Window): void {
    const timer = window.setInterval(() => {
      if (popup.closed || this._disposed) {
        window.clearInterval(timer);
      }
      void this.refresh();
    }, 1000);
  }

  /** Tell other pages (e.g. notebook widgets) listening on the channel about a sign-out. */
  announce(message: Record<string, unknown>): void {
    try {
      this._channel?.postMessage(message);
    } catch {
      // A closed channel: nothing listens anyway.
    }
  }

  dispose(): void {
    this._disposed = true;
    if (this._timer !== null) {
      window.clearInterval(this._timer);
    }
    document.removeEventListener('visibilitychange', this._onVisible);
    window.removeEventListener('message', this._onMessage);
    this._channel?.close();
    Signal.clearData(this);
  }

  private _onVisible = (): void => {
    if (!document.hidden) {
      void this.refresh();
    }
  };

  private _onMessage = (event: MessageEvent): void => {
    // Only our own origin's callback page (window.opener path); anything else is ignored.
    if (event.origin === window.location.origin && isDoneMessage(event.data)) {
      void this.refresh();
    }
  };
}
