// The SDK's wire rules under node's test runner: limits counted as the bridge counts them,
// the settings merge rule, lists, activities.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  characterCount, encodeActivity, encodeList, encodeSettings, mergeSettings, DEFAULT_SETTINGS,
  PresenceInputError, UserTopics, LIMITS,
} from '../sdk/wire.js';

test('lengths count characters as Swift String.count does (grapheme clusters), not UTF-16 units or bytes', () => {
  assert.equal(characterCount('abc'), 3);
  assert.equal(characterCount('e\u0301'), 1, 'e + combining acute');
  assert.equal(characterCount('👨‍👩‍👧'), 1, 'a ZWJ family');
  assert.equal(characterCount('🇫🇷'), 1, 'a flag');
  assert.equal(characterCount('日本'), 2);
  // 256 family emoji are 256 characters (the limit) although 2,048 UTF-16 units.
  assert.doesNotThrow(() => encodeActivity({ type: 'busy', reason: '👨‍👩‍👧'.repeat(LIMITS.detailLength) }));
  assert.throws(() => encodeActivity({ type: 'busy', reason: 'x'.repeat(LIMITS.detailLength + 1) }), PresenceInputError);
});

test('settings: a missing or null key keeps its value; an unknown value is refused; all three are sent', () => {
  const merged = mergeSettings({ ...DEFAULT_SETTINGS }, { showLastSeen: 'nobody', showActivity: null });
  assert.deepEqual(merged, { showOnlineStatus: 'everyone', showLastSeen: 'nobody', showActivity: 'contacts' });
  assert.throws(() => mergeSettings(merged, { showOnlineStatus: 'friends' }), PresenceInputError);
  assert.equal(encodeSettings(merged), '{"showOnlineStatus":"everyone","showLastSeen":"nobody","showActivity":"contacts"}');
});

test('lists: distinct ids, the own id left out, invalid ids and lists over the limit refused', () => {
  assert.equal(encodeList('contacts', ['bob', 'carol', 'bob', 'alice'], 'alice'), '["bob","carol"]');
  assert.throws(() => encodeList('contacts', ['bob/x'], 'alice'), PresenceInputError);
  const many = Array.from({ length: LIMITS.watchSize + 1 }, (_, i) => `u${i}`);
  assert.throws(() => encodeList('watch', many, 'alice'), /over the limit of 500/);
  assert.doesNotThrow(() => encodeList('contacts', many, 'alice'));
});

test('activities: the one detail of the type, to and ttl checked', () => {
  assert.equal(encodeActivity({ type: 'typing', conversationId: 'c1', to: ['bob'] }), '{"type":"typing","conversationId":"c1","to":["bob"]}');
  assert.equal(encodeActivity({ type: 'viewing', page: '/inbox', ttl: 0 }), '{"type":"viewing","page":"/inbox","ttl":0}');
  assert.equal(encodeActivity(null), '{"type":"idle"}');
  assert.throws(() => encodeActivity({ type: 'sleeping' }), PresenceInputError);
  assert.throws(() => encodeActivity({ type: 'busy', ttl: 86_401 }), PresenceInputError);
  assert.throws(() => encodeActivity({ type: 'typing', to: Array.from({ length: 101 }, (_, i) => `u${i}`) }), /over the limit of 100/);
});

test('topics under the prefix; a user id must be valid', () => {
  const topics = new UserTopics('alice');
  assert.equal(topics.state('phone'), 'presence/v1/in/alice/phone/state');
  assert.equal(topics.views, 'presence/v1/out/alice/+');
  assert.equal(topics.viewTarget('presence/v1/out/alice/bob'), 'bob');
  assert.equal(topics.ownInputName('presence/v1/in/alice/blocked'), 'blocked');
  assert.throws(() => new UserTopics('al/ice'), PresenceInputError);
});
