// The SDK's pure parts under node's test runner (node --test web/tests/): the texts a page shows.
import test from 'node:test';
import assert from 'node:assert/strict';
import { lastSeenText, activityText, displayStatus } from '../sdk/text.js';

const now = Date.parse('2026-12-02T12:00:00.000Z');
const ago = (ms) => new Date(now - ms).toISOString();

test('lastSeenText: Just now, minutes, hours, days, then the UTC date; whole units rounded down', () => {
  assert.equal(lastSeenText(ago(59_999), now), 'Just now');
  assert.equal(lastSeenText(ago(-5_000), now), 'Just now', 'a time in the future');
  assert.equal(lastSeenText(ago(60_000), now), '1m ago');
  assert.equal(lastSeenText(ago(5 * 60_000 + 59_000), now), '5m ago');
  assert.equal(lastSeenText(ago(3 * 3_600_000), now), '3h ago');
  assert.equal(lastSeenText(ago(2 * 86_400_000 + 1), now), '2d ago');
  assert.equal(lastSeenText(ago(7 * 86_400_000), now), '2026-11-25');
  assert.equal(lastSeenText(undefined, now), null);
});

test('activityText and displayStatus', () => {
  assert.equal(activityText({ type: 'typing', conversationId: 'c1' }), 'Typing…');
  assert.equal(activityText({ type: 'viewing', page: '/inbox' }), 'Viewing /inbox');
  assert.equal(activityText({ type: 'viewing' }), 'Viewing');
  assert.equal(activityText({ type: 'busy', reason: 'In a meeting' }), 'Busy: In a meeting');
  assert.equal(activityText({ type: 'busy' }), 'Busy');
  assert.equal(activityText(undefined), null);
  assert.equal(displayStatus({ user: 'alice' }), 'hidden');
  assert.equal(displayStatus({ user: 'alice', status: 'away', devices: [] }), 'away');
});
