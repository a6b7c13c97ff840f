// The entry of the MQTT.js bundle (scripts/build-web-bundle.sh): Debian's node-mqtt, in its
// browser shape (lib/connect, as its package.json's "browser" field says), as one ES module.
import mqtt from 'mqtt/lib/connect/index.js';

export const connect = mqtt.connect;
export default mqtt;
