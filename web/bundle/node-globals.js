// Node's globals that MQTT.js and its stream libraries expect, from Debian's browser ports
// (node-process, node-buffer); esbuild --inject puts them where the code names them.
// process.title is "browser", which is what makes MQTT.js use the browser's WebSocket.
import process from 'process/browser.js';
import { Buffer } from 'buffer';

export { process, Buffer };
