// The stand-in for node's net, tls, fs and the ws package in the browser bundle: MQTT.js
// requires them for mqtt:// and mqtts://, which a browser cannot open; ws:// and wss:// use
// the browser's own WebSocket. CommonJS (.cjs), as the modules it replaces, whatever
// web/package.json says.
module.exports = {};
