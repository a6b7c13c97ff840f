// The page: a user signs in and sees the people on their lists live, their own status switch,
// a conversation box that shows "Typing…" to their contacts, and the privacy form.
//
// Stable hooks for tests and restyling: each person's row is `li.person` with
// `data-user="{id}"` and `data-status="{online|away|offline|invisible|hidden}"`, and its texts
// in `.last-seen` and `.activity`.
import { PresenceDevice, lastSeenText, activityText, displayStatus } from './presence.js';

const DOTS = { online: '🟢', away: '🟡', offline: '⚫', invisible: '⚫', hidden: '⚫' };
const AUDIENCES = ['everyone', 'contacts', 'nobody'];
/** The one conversation of this page; its members are the user's contacts. */
const CONVERSATION = 'lobby';

const $ = (/** @type {string} */ selector) => /** @type {HTMLElement} */ (document.querySelector(selector));
/** The part `selector` of a row (every row has each part). */
const part = (/** @type {HTMLElement} */ row, /** @type {string} */ selector) => /** @type {HTMLElement} */ (row.querySelector(selector));

/**
 * The broker's WebSockets URL: `?broker=` if given; else `wss://` on the page's own host and
 * path `/mqtt` for a page served over HTTPS (a reverse proxy in front of both); else the
 * shipped listener, `ws://` on the page's host name, port 8080.
 */
function brokerURL() {
  const given = new URLSearchParams(location.search).get('broker');
  if (given) return given;
  if (location.protocol === 'https:') return `wss://${location.host}/mqtt`;
  return `ws://${location.hostname || '127.0.0.1'}:8080/mqtt`;
}

/**
 * Where to connect: a federation when the query has `?brokers=` (the federation's list, the
 * mqtt:// URLs as `presence-bridge run --brokers` has them, comma-separated) and `websockets=`
 * (each broker's WebSockets URL, comma-separated, in the same order; scripts/run-local.sh
 * --brokers N prints the page's URL with both); else one broker, `brokerURL()`.
 * @returns {{url: string} | {brokers: import('./sdk/homes.js').FederationBroker[]}}
 */
function brokerOptions() {
  const query = new URLSearchParams(location.search);
  const ids = query.get('brokers');
  if (!ids) return { url: brokerURL() };
  const split = (/** @type {string} */ list) => list.split(',').map((item) => item.trim()).filter(Boolean);
  const urls = split(query.get('websockets') ?? '');
  const brokers = split(ids);
  if (urls.length !== brokers.length) {
    throw new Error(`?brokers= names ${brokers.length} brokers and ?websockets= ${urls.length} WebSockets URLs: one for each, in the same order`);
  }
  return { brokers: brokers.map((id, i) => ({ id, url: urls[i] })) };
}

/** This tab's device id, kept for the tab's life (a reload keeps it; a new tab is a new device). */
function tabDevice() {
  let id = sessionStorage.getItem('presence-device');
  if (!id) {
    id = 'web-' + Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => (b % 36).toString(36)).join('');
    sessionStorage.setItem('presence-device', id);
  }
  return id;
}

/**
 * Fills a row from a view.
 * @param {HTMLElement} row
 * @param {import('./sdk/wire.js').View} view
 */
function fillRow(row, view) {
  const status = displayStatus(view);
  row.dataset.user = view.user;
  row.dataset.status = status;
  part(row, '.dot').textContent = DOTS[status];
  part(row, '.name').textContent = view.user;
  part(row, '.status-word').textContent = status;
  part(row, '.activity').textContent = activityText(view.activity) ?? '';
  part(row, '.devices').textContent = (view.devices ?? [])
    .map((d) => `${d.id}${d.platform ? ` (${d.platform})` : ''}: ${d.status}`).join(', ');
  const lastSeen = row.querySelector('.last-seen');
  if (lastSeen) lastSeen.textContent = lastSeenText(view.lastSeen) ? `last seen ${lastSeenText(view.lastSeen)}` : '';
}

/**
 * @param {PresenceDevice} device
 */
function showPresence(device) {
  const me = device.topics.user;
  const list = $('#list');
  const template = /** @type {HTMLTemplateElement} */ ($('#person'));
  /** @type {Map<string, HTMLElement>} */
  const rows = new Map();

  const rowOf = (/** @type {string} */ user) => {
    let row = rows.get(user);
    if (!row) {
      row = /** @type {HTMLElement} */ (template.content.children[0].cloneNode(true));
      part(row, '.block').addEventListener('click', () => {
        if (device.currentList('blocked').includes(user)) device.unblock(user); else device.block(user);
      });
      part(row, '.remove').addEventListener('click', () => {
        device.setContacts(device.currentList('contacts').filter((id) => id !== user));
        device.setWatch(device.currentList('watch').filter((id) => id !== user));
      });
      const next = [...rows.keys()].filter((other) => other > user).sort()[0];
      list.insertBefore(row, (next && rows.get(next)) || null);
      rows.set(user, row);
    }
    return row;
  };
  const showBlocked = () => {
    const blocked = device.currentList('blocked');
    for (const [user, row] of rows) part(row, '.block').textContent = blocked.includes(user) ? 'Unblock' : 'Block';
  };

  device.directory.addEventListener('view', (event) => {
    const { user, view } = /** @type {CustomEvent} */ (event).detail;
    if (user === me) {
      if (view) fillRow($('#me .person'), view);
      $('#me .name').textContent = `${me} (you)`;
      return;
    }
    if (view === null) { rows.get(user)?.remove(); rows.delete(user); return; }
    fillRow(rowOf(user), view);
    showBlocked();
  });
  device.directory.addEventListener('tick', () => {
    for (const [user, row] of rows) {
      const view = device.directory.get(user);
      if (view) fillRow(row, view);
    }
  });
  device.addEventListener('lists', showBlocked);

  // Own status.
  const statusSelect = /** @type {HTMLSelectElement} */ ($('select[name="status"]'));
  statusSelect.addEventListener('change', () => device.setStatus(/** @type {any} */ (statusSelect.value)));

  // Typing in the conversation: a lease renewed by every keystroke, for the contacts only.
  const message = /** @type {HTMLTextAreaElement} */ ($('textarea[name="message"]'));
  message.addEventListener('input', () => {
    if (message.value) device.typing(CONVERSATION, { to: device.currentList('contacts') });
    else device.idle();
  });
  $('#send').addEventListener('click', () => { message.value = ''; device.idle(); });

  // Privacy: each select sends its one setting; the others keep their values.
  const form = /** @type {HTMLFormElement} */ ($('#privacy-form'));
  for (const select of form.querySelectorAll('select')) {
    for (const audience of AUDIENCES) select.add(new Option(audience, audience));
    select.addEventListener('change', () => device.updateSettings({ [select.name]: select.value }));
  }
  const showSettings = () => {
    const settings = device.settings;
    if (!settings) return;
    for (const select of form.querySelectorAll('select')) select.value = settings[/** @type {keyof typeof settings} */ (select.name)];
  };
  device.addEventListener('settings', showSettings);
  form.querySelectorAll('select').forEach((select, i) => { select.value = ['everyone', 'contacts', 'contacts'][i]; });

  // Lists.
  $('#add-contact').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($('input[name="contact"]'));
    const id = input.value.trim();
    if (!id) return;
    try {
      device.setContacts([...device.currentList('contacts'), id]);
      input.value = '';
    } catch (error) {
      reportError({ topic: 'contacts', error: String(/** @type {Error} */ (error).message) });
    }
  });

  // Errors from the bridge.
  const reportError = (/** @type {{topic: string, error: string}} */ report) => {
    const item = document.createElement('li');
    item.textContent = `${report.topic}: ${report.error}`;
    $('#errors ul').append(item);
    $('#errors').hidden = false;
  };
  device.addEventListener('error-report', (event) => reportError(/** @type {CustomEvent} */ (event).detail));

  $('#sign-out').addEventListener('click', async () => {
    await device.close();
    location.reload();
  });
}

const connection = $('#connection');
/** @type {HTMLButtonElement} */ ($('#login button[type="submit"]')).disabled = false;
$('#login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.target);
  const user = /** @type {HTMLInputElement} */ (form.elements.namedItem('user')).value.trim();
  const password = /** @type {HTMLInputElement} */ (form.elements.namedItem('password')).value;
  const error = /** @type {HTMLElement} */ (form.querySelector('.login-error'));
  error.hidden = true;
  /** @type {PresenceDevice} */
  let device;
  try {
    device = new PresenceDevice({ ...brokerOptions(), user, password, device: tabDevice() });
  } catch (failure) {
    error.textContent = String(/** @type {Error} */ (failure).message);
    error.hidden = false;
    return;
  }
  /** @type {any} */ (window).presenceDevice = device;  // for the console, and for tests
  device.addEventListener('connection', (e) => {
    const { state } = /** @type {CustomEvent} */ (e).detail;
    connection.dataset.state = state;
    const home = device.home ? ` · home ${device.home.index} (${device.home.id})` : '';
    connection.textContent = state === 'connected' ? `${user} · ${device.options.device}${home} · connected` : state;
  });
  showPresence(device);
  try {
    await device.start();
  } catch (failure) {
    error.textContent = `Sign-in failed: ${/** @type {Error} */ (failure).message}`;
    error.hidden = false;
    return;
  }
  form.hidden = true;
  $('#app').hidden = false;
  $('#me .person').dataset.user = user;
  $('#me .name').textContent = `${user} (you)`;
});
