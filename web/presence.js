// The presence SDK for browsers: plain ES modules with JSDoc types, no framework, no build step
// (the one exception is the MQTT.js bundle, web/vendor/mqtt.js, made by scripts/build-web-bundle.sh).
//
//   import { PresenceDevice } from './presence.js';
//   const device = new PresenceDevice({ url: 'ws://127.0.0.1:8080/mqtt', user: 'alice', password, device: 'laptop' });
//   device.directory.addEventListener('view', (e) => render(e.detail.user, e.detail.view));
//   await device.start();
//
// In a federation of brokers, `brokers` instead of `url` (README, "In the browser"):
//   new PresenceDevice({ brokers: [{ id: 'mqtt://10.0.0.1:1883', url: 'wss://a.example.org/mqtt' }, …], user, … })
export { PresenceDevice } from './sdk/device.js';
export { PresenceDirectory } from './sdk/directory.js';
export { homeOf, homeIndex, homeBroker, brokerScore } from './sdk/homes.js';
export { lastSeenText, activityText, displayStatus } from './sdk/text.js';
export {
  LIMITS, DEFAULT_SETTINGS, DEFAULT_PREFIX, PresenceInputError, UserTopics, characterCount, isValidId, mergeSettings,
} from './sdk/wire.js';
