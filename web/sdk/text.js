// What a page shows for a view: the same texts as the Swift SDK (PresenceCore's LastSeenText,
// PresenceClient's ActivityView.displayText).

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * "Just now" under a minute (and for a time in the future), "5m ago" under an hour, "3h ago"
 * under a day, "2d ago" under a week, else the UTC date "2026-11-28"; whole units, rounded
 * down. Null without a last-seen time. Refresh it as time passes: the view changes only when
 * the user goes offline again.
 * @param {string|undefined} lastSeen ISO 8601, as in a view
 * @param {number} [now] milliseconds since the epoch
 */
export function lastSeenText(lastSeen, now = Date.now()) {
  if (!lastSeen) return null;
  const time = Date.parse(lastSeen);
  if (Number.isNaN(time)) return null;
  const elapsed = now - time;
  if (elapsed < MINUTE) return 'Just now';
  if (elapsed < HOUR) return `${Math.floor(elapsed / MINUTE)}m ago`;
  if (elapsed < DAY) return `${Math.floor(elapsed / HOUR)}h ago`;
  if (elapsed < 7 * DAY) return `${Math.floor(elapsed / DAY)}d ago`;
  return new Date(time).toISOString().slice(0, 10);
}

/**
 * "Typing…", "Viewing /inbox" (or "Viewing"), "Busy: In a meeting" (or "Busy"); null without an
 * activity.
 * @param {import('./wire.js').View['activity']} activity
 */
export function activityText(activity) {
  if (!activity) return null;
  switch (activity.type) {
    case 'typing': return 'Typing…';
    case 'viewing': return activity.page ? `Viewing ${activity.page}` : 'Viewing';
    case 'busy': return activity.reason ? `Busy: ${activity.reason}` : 'Busy';
    default: return null;
  }
}

/**
 * What a page shows as a view's status: its `status`, or `hidden` for a view without one (the
 * viewer may not see it, or is blocked).
 * @param {import('./wire.js').View} view
 * @returns {'online'|'away'|'offline'|'invisible'|'hidden'}
 */
export function displayStatus(view) {
  return view.status ?? 'hidden';
}
