// One device of a user in a browser tab: present with its will, and that user's view of others.
import { connect as mqttConnect } from '../vendor/mqtt.js';
import { PresenceDirectory } from './directory.js';
import {
  UserTopics, DEFAULT_PREFIX, DEFAULT_SETTINGS, PresenceInputError, isValidId,
  encodeState, encodeHeartbeat, encodeActivity, encodeSettings, encodeList, mergeSettings,
  decodeSettings, decodeList,
} from './wire.js';
import { homeOf } from './homes.js';

/**
 * @typedef {object} PresenceDeviceOptions
 * @property {string} [url] the broker's WebSockets URL, e.g. `ws://127.0.0.1:8080/mqtt` or `wss://example.org/mqtt`
 * @property {import('./homes.js').FederationBroker[]} [brokers] instead of `url`, a federation: every
 *   broker as {id: its `mqtt://` entry in the federation's list, url: its WebSockets URL}, in the
 *   federation's order; the device connects to the user's home (`homeOf`)
 * @property {string} user the user id, which is also the broker account
 * @property {string} password
 * @property {string} device this device's id (stable for the tab: its MQTT client id is `{user}-{device}`)
 * @property {string} [platform] `web` unless told otherwise
 * @property {string} [prefix] `presence/v1` unless told otherwise
 * @property {number} [heartbeatInterval] seconds (30); the bridge's own interval from
 *   `bridge/status` wins when it is shorter
 * @property {boolean} [autoAway] away while the tab is hidden or the window has lost the focus (true)
 * @property {{initial?: number, max?: number}} [reconnect] back-off in ms: 250 doubling to 30,000, ±25 %
 * @property {typeof mqttConnect} [mqttConnect] another MQTT.js `connect`, for pages that bundle their own
 */

/**
 * `connecting` | `connected` | `reconnecting` | `refused` (wrong password or not allowed: no retry) | `closed`.
 * @typedef {'connecting'|'connected'|'reconnecting'|'refused'|'closed'} ConnectionState
 */

/** How long a repeated activity (the same typing, say) is not sent again, in ms: the lease outlasts it. */
const ACTIVITY_RENEWAL = 1000;

/** A new session id for every connection: 12 random base-36 characters. */
function newSession() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('');
}

/**
 * A device of `user`: connects with its will (`offline`, `reason: "lost"`, this connection's
 * session) and a fresh MQTT session each time, publishes its status, heartbeats, activities
 * with leases, settings and lists, and keeps the user's views in `directory`.
 *
 * Events: `connection` (detail {state, session?, attempt?, reason?}), `status` (detail
 * {status}: what the device now publishes), `settings` (detail: the settings read back),
 * `lists` (detail {name, ids}), `bridge` (detail: `bridge/status`), `error-report` (detail
 * {topic, error}: an input the bridge rejected, from `err/{user}`).
 */
export class PresenceDevice extends EventTarget {
  /**
   * @param {PresenceDeviceOptions} options
   */
  constructor(options) {
    super();
    if (!isValidId(options.device)) throw new PresenceInputError('device', `${JSON.stringify(options.device)} is not a valid id`);
    this.options = { platform: 'web', prefix: DEFAULT_PREFIX, heartbeatInterval: 30, autoAway: true, ...options };
    this.topics = new UserTopics(options.user, this.options.prefix);
    if ((options.url === undefined) === (options.brokers === undefined)) throw new PresenceInputError('url', 'give either url or brokers');
    /**
     * The user's home in the federation (`brokers`), or null for a single broker (`url`).
     * @type {(import('./homes.js').FederationBroker & {index: number})|null}
     */
    this.home = options.brokers ? homeOf(options.brokers, options.user) : null;
    /** The WebSockets URL this device connects to: `url`, or its home's. */
    this.url = this.home ? this.home.url : /** @type {string} */ (options.url);
    this.directory = new PresenceDirectory();
    /** @type {ConnectionState} */
    this.connectionState = 'closed';
    /**
     * This connection's session, while connected.
     * @type {string|null}
     */
    this.session = null;
    /** The status asked for: `online`, `away` or `invisible`. */
    this.chosenStatus = /** @type {'online'|'away'|'invisible'} */ ('online');
    /**
     * The user's settings as the broker holds them (read back), or null before.
     * @type {import('./wire.js').PrivacySettings|null}
     */
    this.settings = null;
    /**
     * The user's lists as the broker holds them (read back).
     * @type {Record<import('./wire.js').ListName, string[]|null>}
     */
    this.lists = { contacts: null, blocked: null, watch: null };
    /**
     * `bridge/status`, once read.
     * @type {{status: string, heartbeatInterval?: number, offlineGrace?: number}|null}
     */
    this.bridge = null;
    /** Settings and lists sent and not yet read back as sent: sent again on the next connection. */
    this._pending = /** @type {Map<'settings'|import('./wire.js').ListName, string>} */ (new Map());
    /** @type {{activity: import('./wire.js').Activity|null, payload: string, setAt: number, sentAt: number}|null} */
    this._activity = null;
    this._hidden = false;
    this._blurred = false;
    this._attempt = 0;
    /** @type {import('../vendor/mqtt.js').MqttClient|null} */
    this._client = null;
    /** @type {ReturnType<typeof setInterval>|null} */
    this._heartbeat = null;
    /** @type {ReturnType<typeof setTimeout>|null} */
    this._retry = null;
    this._onVisibility = () => this._setAttention({ hidden: document.visibilityState === 'hidden' });
    this._onBlur = () => this._setAttention({ blurred: true });
    this._onFocus = () => this._setAttention({ blurred: false });
  }

  /**
   * Connects; resolves once connected and the status is published, rejects when the broker
   * refuses the account. Later drops reconnect by themselves with a new session.
   * @returns {Promise<void>}
   */
  start() {
    if (this.options.autoAway && typeof document !== 'undefined') {
      this._hidden = document.visibilityState === 'hidden';
      document.addEventListener('visibilitychange', this._onVisibility);
      window.addEventListener('blur', this._onBlur);
      window.addEventListener('focus', this._onFocus);
    }
    this.directory.startTicking();
    return new Promise((resolve, reject) => {
      const settle = (/** @type {Event} */ event) => {
        const { state, reason } = /** @type {CustomEvent} */ (event).detail;
        if (state === 'connected') { this.removeEventListener('connection', settle); resolve(); }
        if (state === 'refused' || state === 'closed') { this.removeEventListener('connection', settle); reject(new Error(reason ?? state)); }
      };
      this.addEventListener('connection', settle);
      this._connect();
    });
  }

  /** What the device publishes now: the chosen status, or `away` for `online` while the tab is hidden or unfocused. */
  get status() {
    return this.chosenStatus === 'online' && (this._hidden || this._blurred) ? 'away' : this.chosenStatus;
  }

  /**
   * @param {'online'|'away'|'invisible'} status
   */
  setStatus(status) {
    if (!['online', 'away', 'invisible'].includes(status)) throw new PresenceInputError('status', '"status" must be online, away or invisible (close() says offline)');
    const before = this.status;
    this.chosenStatus = status;
    if (this.status !== before) this._publishStatus();
  }

  /**
   * Typing in `conversationId`; `to` limits who sees it. A lease: call again while typing.
   * @param {string} [conversationId]
   * @param {{to?: string[], ttl?: number}} [options]
   */
  typing(conversationId, options = {}) { return this._setActivity({ type: 'typing', conversationId, ...options }); }
  /**
   * Viewing `page`.
   * @param {string} [page]
   * @param {{to?: string[], ttl?: number}} [options]
   */
  viewing(page, options = {}) { return this._setActivity({ type: 'viewing', page, ...options }); }
  /**
   * Busy, with a reason.
   * @param {string} [reason]
   * @param {{to?: string[], ttl?: number}} [options]
   */
  busy(reason, options = {}) { return this._setActivity({ type: 'busy', reason, ...options }); }
  /** No activity. */
  idle() { return this._setActivity(null); }

  /**
   * Changes some privacy settings: a key missing or null keeps its value (the contract's merge
   * rule), merged into what the broker holds, and all three are published (retained), so the
   * retained copy alone is the whole truth after any restart.
   * @param {Partial<import('./wire.js').PrivacySettings>} update
   */
  updateSettings(update) {
    const pending = this._pending.get('settings');
    const current = (pending && decodeSettings(pending)) || this.settings || { ...DEFAULT_SETTINGS };
    return this._sendUserInput('settings', encodeSettings(mergeSettings(current, update)));
  }

  /**
   * Replaces the contacts: they see the `contacts` level, and are watched.
   * @param {string[]} ids
   */
  setContacts(ids) { return this._sendUserInput('contacts', encodeList('contacts', ids, this.topics.user)); }
  /**
   * Replaces the watch list: more users to see.
   * @param {string[]} ids
   */
  setWatch(ids) { return this._sendUserInput('watch', encodeList('watch', ids, this.topics.user)); }
  /**
   * Replaces the blocked list: they see nothing of the user.
   * @param {string[]} ids
   */
  setBlocked(ids) { return this._sendUserInput('blocked', encodeList('blocked', ids, this.topics.user)); }
  /**
   * Adds `id` to the blocked list as last read back (or sent).
   * @param {string} id
   */
  block(id) { return this.setBlocked([...this.currentList('blocked').filter((x) => x !== id), id]); }
  /**
   * Takes `id` off the blocked list.
   * @param {string} id
   */
  unblock(id) { return this.setBlocked(this.currentList('blocked').filter((x) => x !== id)); }

  /**
   * A list as last sent (while unconfirmed) or read back.
   * @param {import('./wire.js').ListName} name
   */
  currentList(name) {
    const pending = this._pending.get(name);
    return (pending && decodeList(pending)) || this.lists[name] || [];
  }

  /** Publishes `offline` with the session (waiting for the broker's acknowledgement) and disconnects: this device is offline at once, with no grace. */
  async close() {
    this._stopAttention();
    const client = this._client;
    this._shutDown();
    const session = this.session;
    if (client && client.connected && session) {
      await new Promise((resolve) => client.publish(this.topics.state(this.options.device),
        encodeState('offline', session, this.options.platform), { qos: 1, retain: true }, resolve));
      await new Promise((resolve) => client.end(false, {}, () => resolve(undefined)));
    } else if (client) {
      client.end(true);
    }
    this._setConnection('closed');
  }

  /** Closes the connection without MQTT's DISCONNECT, as a crash would: the will speaks (demos, tests). */
  abort() {
    this._stopAttention();
    const client = this._client;
    this._shutDown();
    if (client) client.end(true);
    this._setConnection('closed');
  }

  // ---- the connection ----

  _connect() {
    const session = newSession();
    const user = this.topics.user;
    const { device, platform } = this.options;
    this._setConnection(this._attempt === 0 ? 'connecting' : 'reconnecting', { attempt: this._attempt });
    const client = (this.options.mqttConnect ?? mqttConnect)(this.url, {
      clientId: `${user}-${device}`,
      username: user,
      password: this.options.password,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      // A tab hidden for minutes may run its timers only once a minute (Chrome's intensive
      // throttling): the broker allows 1.5 keepalives (90 s) and the bridge 2.5 heartbeats.
      keepalive: 60,
      will: { topic: this.topics.state(device), payload: encodeState('offline', session, platform, true), qos: 1, retain: true },
    });
    this._client = client;
    client.on('connect', () => { if (this._client === client) this._connected(client, session); });
    client.on('message', (/** @type {string} */ topic, /** @type {Uint8Array} */ payload) => {
      if (this._client === client) this._receive(topic, new TextDecoder().decode(payload));
    });
    client.on('error', (error) => {
      if (this._client !== client) return;
      if (error && (error.code === 4 || error.code === 5)) {
        this._shutDown();
        client.end(true);
        this._setConnection('refused', { reason: String(error.message) });
      }
    });
    client.on('close', () => { if (this._client === client) this._lost(); });
  }

  /**
   * @param {import('../vendor/mqtt.js').MqttClient} client
   * @param {string} session
   */
  _connected(client, session) {
    this._attempt = 0;
    this.session = session;
    const t = this.topics;
    client.subscribe([t.views, t.errors, t.ownInputs, t.bridgeStatus], { qos: 1 });
    this._publishStatus();
    for (const [name, payload] of this._pending) client.publish(t.userInput(name), payload, { qos: 1, retain: true });
    this._restoreActivity();
    this._restartHeartbeat();
    this._setConnection('connected', { session });
  }

  _lost() {
    this._stopHeartbeat();
    this.session = null;
    this._client = null;
    this._attempt += 1;
    const { initial = 250, max = 30_000 } = this.options.reconnect ?? {};
    const delay = Math.min(max, initial * 2 ** (this._attempt - 1)) * (0.75 + Math.random() * 0.5);
    this._setConnection('reconnecting', { attempt: this._attempt });
    this._retry = setTimeout(() => { this._retry = null; this._connect(); }, delay);
  }

  _shutDown() {
    this._stopHeartbeat();
    if (this._retry) clearTimeout(this._retry);
    this._retry = null;
    this._client = null;
    this.directory.stopTicking();
  }

  /**
   * @param {ConnectionState} state
   * @param {object} [more]
   */
  _setConnection(state, more = {}) {
    this.connectionState = state;
    this.dispatchEvent(new CustomEvent('connection', { detail: { state, ...more } }));
  }

  // ---- what comes in ----

  /**
   * @param {string} topic
   * @param {string} text
   */
  _receive(topic, text) {
    const t = this.topics;
    const target = t.viewTarget(topic);
    if (target !== null) { this.directory.receive(target, text); return; }
    if (topic === t.errors) {
      let report = { topic: '', error: text };
      try { report = JSON.parse(text); } catch { /* shown as it came */ }
      // A rejected setting or list is not sent again: the broker's copy stays the truth.
      const rejected = typeof report.topic === 'string' ? t.ownInputName(report.topic) : null;
      if (rejected !== null) this._pending.delete(rejected);
      this.dispatchEvent(new CustomEvent('error-report', { detail: report }));
      return;
    }
    if (topic === t.bridgeStatus) {
      try { this.bridge = JSON.parse(text); } catch { return; }
      this._restartHeartbeat();
      this.dispatchEvent(new CustomEvent('bridge', { detail: this.bridge }));
      return;
    }
    const name = t.ownInputName(topic);
    if (name === null) return;
    if (this._pending.get(name) === text) this._pending.delete(name);
    if (name === 'settings') {
      const settings = decodeSettings(text);
      if (!settings) return;
      this.settings = settings;
      this.dispatchEvent(new CustomEvent('settings', { detail: settings }));
    } else {
      const ids = decodeList(text);
      if (!ids) return;
      this.lists[name] = ids;
      this.dispatchEvent(new CustomEvent('lists', { detail: { name, ids } }));
    }
  }

  // ---- what goes out ----

  _publishStatus() {
    this.dispatchEvent(new CustomEvent('status', { detail: { status: this.status } }));
    if (!this._client?.connected || !this.session) return;
    this._client.publish(this.topics.state(this.options.device), encodeState(this.status, this.session, this.options.platform), { qos: 1, retain: true });
  }

  /**
   * @param {'settings'|import('./wire.js').ListName} name
   * @param {string} payload
   * @returns {Promise<'sent'|'deferred'>} `deferred`: not connected now, sent on the next connection
   */
  _sendUserInput(name, payload) {
    this._pending.set(name, payload);
    const client = this._client;
    if (!client?.connected) return Promise.resolve('deferred');
    return new Promise((resolve) => client.publish(this.topics.userInput(name), payload, { qos: 1, retain: true }, () => resolve('sent')));
  }

  /**
   * @param {import('./wire.js').Activity|null} activity
   */
  _setActivity(activity) {
    const payload = encodeActivity(activity);
    const now = Date.now();
    const previous = this._activity;
    if (previous && previous.payload === payload && now - previous.sentAt < ACTIVITY_RENEWAL && activity !== null) return;
    if (previous === null && activity === null) return;
    this._activity = activity === null ? null : { activity, payload, setAt: now, sentAt: now };
    if (this._client?.connected) this._client.publish(this.topics.activity(this.options.device), payload, { qos: 0 });
  }

  /** On a new connection: an activity still in force (`ttl` 0, or a lease not over) is sent with what is left of it. */
  _restoreActivity() {
    const current = this._activity;
    if (!current || current.activity === null || current.activity.ttl === undefined) return;
    const { ttl } = current.activity;
    const left = ttl === 0 ? 0 : ttl - (Date.now() - current.setAt) / 1000;
    if (ttl !== 0 && left <= 0) { this._activity = null; return; }
    const payload = encodeActivity({ ...current.activity, ttl: ttl === 0 ? 0 : Math.ceil(left) });
    this._client?.publish(this.topics.activity(this.options.device), payload, { qos: 0 });
    current.sentAt = Date.now();
  }

  _restartHeartbeat() {
    this._stopHeartbeat();
    if (!this._client?.connected || !this.session) return;
    const configured = this.options.heartbeatInterval ?? 30;
    const fromBridge = this.bridge?.heartbeatInterval;
    const seconds = typeof fromBridge === 'number' && fromBridge > 0 ? Math.min(fromBridge, configured) : configured;
    const client = this._client;
    const payload = encodeHeartbeat(this.session);
    this._heartbeat = setInterval(() => {
      if (client.connected) client.publish(this.topics.heartbeat(this.options.device), payload, { qos: 0 });
    }, seconds * 1000);
  }

  _stopHeartbeat() {
    if (this._heartbeat) clearInterval(this._heartbeat);
    this._heartbeat = null;
  }

  // ---- attention: away while hidden or unfocused ----

  /**
   * @param {{hidden?: boolean, blurred?: boolean}} change
   */
  _setAttention(change) {
    const before = this.status;
    if (change.hidden !== undefined) this._hidden = change.hidden;
    if (change.blurred !== undefined) this._blurred = change.blurred;
    if (this.status !== before) this._publishStatus();
  }

  _stopAttention() {
    if (typeof document === 'undefined') return;
    document.removeEventListener('visibilitychange', this._onVisibility);
    window.removeEventListener('blur', this._onBlur);
    window.removeEventListener('focus', this._onFocus);
  }
}
