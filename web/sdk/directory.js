// The viewer's side: the latest view of every target from one subscription to
// `out/{user}/+`, and the events a page renders from.
import { decodeView } from './wire.js';
import { lastSeenText, activityText, displayStatus } from './text.js';

/**
 * One target's change: its new view, or null when the viewer took it off its lists.
 * @typedef {{user: string, view: import('./wire.js').View|null}} ViewChange
 */

/**
 * The latest view per target. Events:
 * - `view` (detail: ViewChange), once per target that changed;
 * - `views` (detail: {changes: ViewChange[]}), once per batch: the changes that arrived before
 *   the page's next task (the retained list on subscribing comes as one or a few batches);
 * - `tick`, every minute, for last-seen texts ("5m ago") to be shown again.
 * An unchanged view (the same bytes again, as on a resubscription) is no change.
 */
export class PresenceDirectory extends EventTarget {
  constructor() {
    super();
    /** @type {Map<string, import('./wire.js').View>} */
    this.views = new Map();
    /** @type {Map<string, string>} */
    this._payloads = new Map();
    /** @type {ViewChange[]} */
    this._batch = [];
    /** @type {ReturnType<typeof setInterval>|null} */
    this._ticker = null;
  }

  /**
   * The view of `user`, if the viewer has one.
   * @param {string} user
   */
  get(user) { return this.views.get(user); }

  /**
   * `lastSeenText` of `user`'s view now.
   * @param {string} user
   * @param {number} [now]
   */
  lastSeenText(user, now = Date.now()) { return lastSeenText(this.views.get(user)?.lastSeen, now); }

  /**
   * `activityText` of `user`'s view.
   * @param {string} user
   */
  activityText(user) { return activityText(this.views.get(user)?.activity); }

  /**
   * `online` | `away` | `offline` | `invisible` | `hidden`, or undefined without a view.
   * @param {string} user
   */
  status(user) {
    const view = this.views.get(user);
    return view ? displayStatus(view) : undefined;
  }

  /**
   * Takes the retained view of `target` (payload text; empty = deleted). Called by the
   * connection for every message on `out/{user}/{target}`.
   * @param {string} target
   * @param {string} text
   */
  receive(target, text) {
    if (text === '') {
      if (!this.views.has(target)) return;
      this.views.delete(target);
      this._payloads.delete(target);
      this._queue({ user: target, view: null });
      return;
    }
    if (this._payloads.get(target) === text) return;
    const view = decodeView(text);
    if (!view) return;
    this._payloads.set(target, text);
    this.views.set(target, view);
    this._queue({ user: target, view });
  }

  /** Starts the minute ticks (idempotent). */
  startTicking() {
    if (this._ticker) return;
    this._ticker = setInterval(() => this.dispatchEvent(new Event('tick')), 60_000);
  }

  /** Stops the minute ticks. */
  stopTicking() {
    if (this._ticker) clearInterval(this._ticker);
    this._ticker = null;
  }

  /**
   * @param {ViewChange} change
   */
  _queue(change) {
    this.dispatchEvent(new CustomEvent('view', { detail: change }));
    if (this._batch.length === 0) {
      setTimeout(() => {
        const changes = this._batch;
        this._batch = [];
        this.dispatchEvent(new CustomEvent('views', { detail: { changes } }));
      }, 0);
    }
    this._batch.push(change);
  }
}
