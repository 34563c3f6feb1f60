/**
 * The status bar item: a real button (keyboard reachable, named for screen readers) that
 * shows the sign-in status and opens the ArcGIS menu.
 */

import { Menu, Widget } from '@lumino/widgets';

import { SignInState } from './model';

export class StatusButton extends Widget {
  private _button: HTMLButtonElement;
  private _text: HTMLSpanElement;
  private _live: HTMLSpanElement;
  private _lastSignedIn: boolean | null = null;

  constructor(
    private readonly _state: SignInState,
    private readonly _menu: Menu
  ) {
    super();
    this.id = 'agol-jupyter-status';
    this.addClass('agol-jupyter-status');
    this._button = document.createElement('button');
    this._button.type = 'button';
    this._button.className = 'agol-jupyter-status-button';
    this._button.setAttribute('aria-haspopup', 'menu');
    this._button.setAttribute('aria-expanded', 'false');
    this._text = document.createElement('span');
    this._text.className = 'agol-jupyter-status-text';
    this._button.appendChild(this._text);
    // Announces sign-in and sign-out, not every countdown tick.
    this._live = document.createElement('span');
    this._live.className = 'agol-jupyter-sr-only';
    this._live.setAttribute('role', 'status');
    this._live.setAttribute('aria-live', 'polite');
    this.node.append(this._button, this._live);

    this._button.addEventListener('click', this._onClick);
    this._menu.aboutToClose.connect(this._onMenuClose, this);
    this._state.changed.connect(this.render, this);
    this.render();
  }

  /** Show the current state. */
  render(): void {
    const view = this._state.view();
    this._text.textContent = view.label;
    this._button.title = view.description;
    this._button.setAttribute('aria-label', view.description);
    this.node.dataset.state = view.signedIn ? 'signed-in' : 'signed-out';
    if (this._lastSignedIn !== null && this._lastSignedIn !== view.signedIn) {
      this._live.textContent = view.signedIn ? view.label : 'ArcGIS: signed out';
    }
    this._lastSignedIn = view.signedIn;
  }

  dispose(): void {
    this._button.removeEventListener('click', this._onClick);
    super.dispose();
  }

  private _onClick = (event: MouseEvent): void => {
    const rect = this._button.getBoundingClientRect();
    this._button.setAttribute('aria-expanded', 'true');
    this._menu.open(rect.left, rect.top, { forceX: false, forceY: false });
    // Lumino places the menu below the point; the status bar is at the bottom, so lift it.
    const height = this._menu.node.offsetHeight;
    if (height && rect.top - height >= 0) {
      this._menu.node.style.top = `${rect.top - height}px`;
    }
    // Opened with Enter or Space (click with detail 0): put the focus on the first item.
    if (event.detail === 0) {
      this._menu.activeIndex = 0;
    }
  };

  private _onMenuClose(): void {
    this._button.setAttribute('aria-expanded', 'false');
    this._button.focus();
  }
}
