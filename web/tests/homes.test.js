// The home broker rule under node's test runner: the README's vectors, and agreement with the
// Swift implementation on every entry of Tests/Vectors/homes.json (made by the Swift CLI).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { brokerScore, homeIndex, homeBroker, homeOf } from '../sdk/homes.js';
import { PresenceInputError } from '../sdk/wire.js';

const README_BROKERS = ['mqtt://10.0.0.1:1883', 'mqtt://10.0.0.2:1883', 'mqtt://10.0.0.3:1883'];

test('the README\'s vectors: scores, homes, the split of 10,000 ids and what a fourth broker moves', () => {
  assert.equal(brokerScore(README_BROKERS[0], 'alice'), 0x6dd6d890139189f0n);
  assert.equal(brokerScore(README_BROKERS[0], 'bob'), 0xb9f0da6c08fe8f9bn);
  const homes = { alice: 2, bob: 0, carol: 1, dave: 2, user1: 1, user2: 0 };
  for (const [user, home] of Object.entries(homes)) assert.equal(homeIndex(README_BROKERS, user), home, user);
  assert.equal(homeBroker(README_BROKERS, 'carol'), 'mqtt://10.0.0.2:1883');
  const four = [...README_BROKERS, 'mqtt://10.0.0.4:1883'];
  const counts = [0, 0, 0];
  let moved = 0;
  for (let i = 0; i < 10_000; i += 1) {
    const before = homeIndex(README_BROKERS, `user${i}`);
    const after = homeIndex(four, `user${i}`);
    counts[before] += 1;
    if (after !== before) { moved += 1; assert.equal(after, 3); }
  }
  assert.deepEqual(counts, [3310, 3268, 3422]);
  assert.equal(moved, 2531);
});

test('the same homes as the Swift implementation on every entry of Tests/Vectors/homes.json', () => {
  const vectors = JSON.parse(readFileSync(new URL('../../Tests/Vectors/homes.json', import.meta.url), 'utf8'));
  let checked = 0;
  for (const { brokers, homes } of vectors.federations) {
    for (const [user, home] of Object.entries(homes)) {
      assert.equal(homeIndex(brokers, user), home, `${user} over ${brokers.join(',')}`);
      checked += 1;
    }
  }
  assert.ok(checked >= 1000, `${checked} entries`);
});

test('the order of the list does not change a home', () => {
  const reversed = [...README_BROKERS].reverse();
  for (let i = 0; i < 1000; i += 1) assert.equal(homeBroker(reversed, `u${i}`), homeBroker(README_BROKERS, `u${i}`));
});

test('an empty list, an empty entry, a broker named twice or an invalid id is refused', () => {
  assert.throws(() => homeIndex([], 'alice'), PresenceInputError);
  assert.throws(() => homeIndex(['mqtt://a:1', ''], 'alice'), PresenceInputError);
  assert.throws(() => homeIndex(['mqtt://a:1', 'mqtt://a:1'], 'alice'), /named twice/);
  assert.throws(() => homeIndex(README_BROKERS, 'al/ice'), PresenceInputError);
  assert.equal(homeIndex(['mqtt://a:1'], 'anyone'), 0);
});

test('homeOf hashes the federation ids and answers the WebSockets URL written beside the winner', () => {
  const brokers = README_BROKERS.map((id, i) => ({ id, url: `wss://broker-${i}.example.org/mqtt` }));
  assert.deepEqual(homeOf(brokers, 'carol'), { id: 'mqtt://10.0.0.2:1883', url: 'wss://broker-1.example.org/mqtt', index: 1 });
  assert.equal(homeOf(brokers, 'alice').index, 2);
  // The WebSockets URLs given as the ids would hash to other homes: refused.
  const swapped = brokers.map(({ id, url }) => ({ id: url, url: id }));
  assert.throws(() => homeOf(swapped, 'alice'), /is a WebSockets URL/);
  assert.throws(() => homeOf(/** @type {any} */ (['mqtt://10.0.0.1:1883']), 'alice'), /list of \{id, url\}/);
  assert.throws(() => homeOf([{ id: 'mqtt://a:1', url: 'ws://a/mqtt' }, { id: 'mqtt://a:1', url: 'ws://b/mqtt' }], 'alice'), /named twice/);
});
