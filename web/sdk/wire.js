// The wire contract (docs/PROTOCOL.md) as the browser SDK writes and reads it: topics, ids,
// limits, input payloads and views. The bridge's PresenceWire module is the reference; the
// limits here are the same numbers (Sources/PresenceWire/WireLimits.swift) counted the same way.

/** The topic prefix unless told otherwise. */
export const DEFAULT_PREFIX = 'presence/v1';

/** @typedef {'online'|'away'|'invisible'|'offline'} DeviceStatus */
/** @typedef {'everyone'|'contacts'|'nobody'} Audience */
/** @typedef {'contacts'|'blocked'|'watch'} ListName */
/**
 * Privacy settings, each `everyone` | `contacts` | `nobody`.
 * @typedef {{showOnlineStatus: Audience, showLastSeen: Audience, showActivity: Audience}} PrivacySettings
 */
/**
 * An activity as sent: `typing` (with `conversationId`), `viewing` (`page`), `busy` (`reason`).
 * `to` limits who sees it; `ttl` is its lease in seconds (0 = until replaced).
 * @typedef {{type: 'typing'|'viewing'|'busy', conversationId?: string, page?: string, reason?: string, to?: string[], ttl?: number}} Activity
 */
/**
 * What a viewer may see of a user; a field the viewer may not see is absent.
 * @typedef {{user: string, status?: 'online'|'away'|'offline'|'invisible', lastSeen?: string,
 *   activity?: {type: string, conversationId?: string, page?: string, reason?: string},
 *   devices?: {id: string, platform?: string, status: string}[]}} View
 */

/** The limits of the contract, the same numbers as the bridge's `WireLimits`. */
export const LIMITS = Object.freeze({
  /** Bytes of UTF-8 in one payload (the broker's `message_size_limit`). */
  payloadBytes: 65536,
  /** Characters of an id (user or device). */
  idLength: 64,
  sessionLength: 64,
  platformLength: 32,
  /** Characters of `conversationId`, `page`, `reason`. */
  detailLength: 256,
  /** Ids in an activity's `to`. */
  audienceSize: 100,
  /** Seconds of an activity's `ttl`. */
  ttlSeconds: 86400,
  /** Distinct ids (other than the user's own) in contacts and blocked (`--max-list`). */
  listSize: 2000,
  /** Distinct ids in watch (`--max-watch`). */
  watchSize: 500,
});

/** The settings a user has before sending any (the contract's defaults). */
export const DEFAULT_SETTINGS = Object.freeze({
  showOnlineStatus: 'everyone', showLastSeen: 'contacts', showActivity: 'contacts',
});

const AUDIENCES = ['everyone', 'contacts', 'nobody'];
const ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** An input the SDK refuses to send because the bridge would reject it; `field` names what. */
export class PresenceInputError extends Error {
  /**
   * @param {string} field
   * @param {string} message
   */
  constructor(field, message) {
    super(message);
    this.name = 'PresenceInputError';
    this.field = field;
  }
}

const graphemes = typeof Intl !== 'undefined' && Intl.Segmenter
  ? new Intl.Segmenter('en', { granularity: 'grapheme' }) : null;

/**
 * The length of `text` as the bridge counts it: Swift's `String.count`, extended grapheme
 * clusters ("é" written as e + a combining accent is 1, a family emoji is 1), by
 * `Intl.Segmenter`; where a browser has none, Unicode code points (which can only count more).
 * @param {string} text
 */
export function characterCount(text) {
  if (graphemes) {
    let count = 0;
    for (const _ of graphemes.segment(text)) count += 1;
    return count;
  }
  return [...text].length;
}

/**
 * Whether `id` is a valid user or device id: 1-64 of `A-Z a-z 0-9 . _ - @`, first a letter or digit.
 * @param {unknown} id
 */
export function isValidId(id) {
  return typeof id === 'string' && ID.test(id);
}

/**
 * @param {string} field
 * @param {string} id
 */
function checkId(field, id) {
  if (!isValidId(id)) throw new PresenceInputError(field, `${JSON.stringify(id)} is not a valid id (1-64 of A-Z a-z 0-9 . _ - @, first a letter or digit)`);
}

/**
 * @param {string} field
 * @param {unknown} text
 * @param {number} limit
 */
function checkText(field, text, limit) {
  if (typeof text !== 'string') throw new PresenceInputError(field, `"${field}" must be a string`);
  if (characterCount(text) > limit) throw new PresenceInputError(field, `"${field}" is longer than ${limit} characters`);
}

/**
 * @param {string} payload
 */
function checkPayload(payload) {
  const size = new TextEncoder().encode(payload).length;
  if (size > LIMITS.payloadBytes) throw new PresenceInputError('payload', `payload of ${size} bytes is over the limit of ${LIMITS.payloadBytes}`);
  return payload;
}

/** The topics of one user under a prefix. */
export class UserTopics {
  /**
   * @param {string} user
   * @param {string} [prefix]
   */
  constructor(user, prefix = DEFAULT_PREFIX) {
    checkId('user', user);
    this.prefix = prefix;
    this.user = user;
  }
  /**
   * @param {string} device
   */
  state(device) { return `${this.prefix}/in/${this.user}/${device}/state`; }
  /**
   * @param {string} device
   */
  heartbeat(device) { return `${this.prefix}/in/${this.user}/${device}/heartbeat`; }
  /**
   * @param {string} device
   */
  activity(device) { return `${this.prefix}/in/${this.user}/${device}/activity`; }
  /**
   * `settings`, `contacts`, `blocked` or `watch`.
   * @param {'settings'|ListName} name
   */
  userInput(name) { return `${this.prefix}/in/${this.user}/${name}`; }
  /** The user's own user-level inputs, read back (the ACL allows it). */
  get ownInputs() { return `${this.prefix}/in/${this.user}/+`; }
  /** Every view this user may see: one subscription. */
  get views() { return `${this.prefix}/out/${this.user}/+`; }
  get errors() { return `${this.prefix}/err/${this.user}`; }
  get bridgeStatus() { return `${this.prefix}/bridge/status`; }

  /**
   * The target of a view topic of this user, or null for another topic.
   * @param {string} topic
   */
  viewTarget(topic) {
    const head = `${this.prefix}/out/${this.user}/`;
    return topic.startsWith(head) ? topic.slice(head.length) : null;
  }
  /**
   * The name of a user-level input topic read back, or null.
   * @param {string} topic
   * @returns {'settings'|ListName|null}
   */
  ownInputName(topic) {
    const head = `${this.prefix}/in/${this.user}/`;
    if (!topic.startsWith(head)) return null;
    const name = topic.slice(head.length);
    return name === 'settings' || name === 'contacts' || name === 'blocked' || name === 'watch' ? name : null;
  }
}

/**
 * A state payload.
 * @param {DeviceStatus} status
 * @param {string} session
 * @param {string} [platform]
 * @param {boolean} [lost] the will's `reason: "lost"`
 */
export function encodeState(status, session, platform, lost = false) {
  checkText('session', session, LIMITS.sessionLength);
  /** @type {Record<string, string>} */
  const state = { status, session };
  if (platform !== undefined) { checkText('platform', platform, LIMITS.platformLength); state.platform = platform; }
  if (lost) state.reason = 'lost';
  return checkPayload(JSON.stringify(state));
}

/**
 * A heartbeat payload.
 * @param {string} session
 */
export function encodeHeartbeat(session) {
  return JSON.stringify({ session });
}

/**
 * An activity payload, or `{"type":"idle"}` for null.
 * @param {Activity|null} activity
 */
export function encodeActivity(activity) {
  if (activity === null) return JSON.stringify({ type: 'idle' });
  const detailKey = { typing: 'conversationId', viewing: 'page', busy: 'reason' }[activity.type];
  if (!detailKey) throw new PresenceInputError('type', '"type" must be typing, viewing, busy or idle');
  /** @type {Record<string, unknown>} */
  const payload = { type: activity.type };
  const detail = /** @type {Record<string, unknown>} */ (activity)[detailKey];
  if (detail !== undefined && detail !== null) { checkText(detailKey, detail, LIMITS.detailLength); payload[detailKey] = detail; }
  if (activity.to !== undefined && activity.to !== null) {
    if (!Array.isArray(activity.to)) throw new PresenceInputError('to', '"to" must be an array of user ids');
    activity.to.forEach((id) => checkId('to', id));
    if (activity.to.length > LIMITS.audienceSize) throw new PresenceInputError('to', `to has ${activity.to.length} ids, over the limit of ${LIMITS.audienceSize}`);
    payload.to = activity.to;
  }
  if (activity.ttl !== undefined && activity.ttl !== null) {
    if (typeof activity.ttl !== 'number' || !(activity.ttl >= 0 && activity.ttl <= LIMITS.ttlSeconds)) {
      throw new PresenceInputError('ttl', '"ttl" must be a number of seconds from 0 to 86400');
    }
    payload.ttl = activity.ttl;
  }
  return checkPayload(JSON.stringify(payload));
}

/**
 * The contract's merge rule: a key missing (or null) in `update` keeps its value in `current`.
 * Unknown values are refused.
 * @param {PrivacySettings} current
 * @param {Partial<PrivacySettings>} update
 * @returns {PrivacySettings}
 */
export function mergeSettings(current, update) {
  const merged = { ...current };
  for (const key of /** @type {(keyof PrivacySettings)[]} */ (Object.keys(DEFAULT_SETTINGS))) {
    const value = update[key];
    if (value === undefined || value === null) continue;
    if (!AUDIENCES.includes(value)) throw new PresenceInputError(key, `"${key}" must be everyone, contacts or nobody`);
    merged[key] = value;
  }
  return merged;
}

/**
 * A settings payload, all three keys (so the retained copy alone says everything).
 * @param {PrivacySettings} settings
 */
export function encodeSettings(settings) {
  return JSON.stringify({
    showOnlineStatus: settings.showOnlineStatus, showLastSeen: settings.showLastSeen, showActivity: settings.showActivity,
  });
}

/**
 * A list payload: distinct ids, the user's own left out (the bridge ignores both), checked
 * against the list's limit.
 * @param {ListName} name
 * @param {string[]} ids
 * @param {string} user
 */
export function encodeList(name, ids, user) {
  ids.forEach((id) => checkId(name, id));
  const distinct = [...new Set(ids)].filter((id) => id !== user);
  const limit = name === 'watch' ? LIMITS.watchSize : LIMITS.listSize;
  if (distinct.length > limit) throw new PresenceInputError(name, `${name} has ${distinct.length} ids, over the limit of ${limit}`);
  return checkPayload(JSON.stringify(distinct));
}

/**
 * The settings of a retained `in/{user}/settings` read back (the defaults where absent).
 * @param {string} text
 */
export function decodeSettings(text) {
  try { return mergeSettings({ ...DEFAULT_SETTINGS }, text.trim() ? JSON.parse(text) : {}); } catch { return null; }
}

/**
 * The ids of a retained list read back, or null when it is not a list of ids.
 * @param {string} text
 */
export function decodeList(text) {
  try {
    const ids = text.trim() ? JSON.parse(text) : [];
    return Array.isArray(ids) && ids.every(isValidId) ? ids : null;
  } catch { return null; }
}

/**
 * A view payload, or null when it is not one (the bridge sends only valid views).
 * @param {string} text
 * @returns {View|null}
 */
export function decodeView(text) {
  try {
    const view = JSON.parse(text);
    return view && typeof view === 'object' && typeof view.user === 'string' ? view : null;
  } catch { return null; }
}
