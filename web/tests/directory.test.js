// The viewer's directory under node's test runner: latest view per target, events per target
// and per batch, unchanged bytes ignored, deletions.
import test from 'node:test';
import assert from 'node:assert/strict';
import { PresenceDirectory } from '../sdk/directory.js';

const nextBatch = (directory) => new Promise((resolve) => directory.addEventListener('views', (e) => resolve(e.detail.changes), { once: true }));

test('one view event per change, one views event per batch; the same bytes again are no change', async () => {
  const directory = new PresenceDirectory();
  const seen = [];
  directory.addEventListener('view', (e) => seen.push(e.detail.user));
  const batch = nextBatch(directory);
  directory.receive('bob', '{"user":"bob","status":"online","devices":[]}');
  directory.receive('carol', '{"user":"carol"}');
  directory.receive('bob', '{"user":"bob","status":"online","devices":[]}');
  const changes = await batch;
  assert.deepEqual(seen, ['bob', 'carol']);
  assert.deepEqual(changes.map((c) => c.user), ['bob', 'carol']);
  assert.equal(directory.status('bob'), 'online');
  assert.equal(directory.status('carol'), 'hidden');
  assert.equal(directory.status('dave'), undefined);
});

test('an empty payload deletes the view; a payload that is not a view is ignored', async () => {
  const directory = new PresenceDirectory();
  directory.receive('bob', '{"user":"bob","status":"away","devices":[],"activity":{"type":"typing"}}');
  await nextBatch(directory);
  assert.equal(directory.activityText('bob'), 'Typing…');
  const batch = nextBatch(directory);
  directory.receive('bob', 'not json');
  directory.receive('bob', '');
  assert.deepEqual(await batch, [{ user: 'bob', view: null }]);
  assert.equal(directory.get('bob'), undefined);
});
