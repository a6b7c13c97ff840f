// The part of MQTT.js (4.x) that the SDK uses, declared for type checking (tsc -p web): the
// bundle beside this file (mqtt.js) is made by scripts/build-web-bundle.sh and never committed;
// this declaration is. Debian's node-mqtt has the full types in /usr/share/nodejs/mqtt/types/.

export interface PublishOptions { qos?: 0 | 1 | 2; retain?: boolean }

export interface ClientOptions {
  clientId?: string;
  username?: string;
  password?: string;
  clean?: boolean;
  protocolVersion?: 3 | 4 | 5;
  reconnectPeriod?: number;
  connectTimeout?: number;
  keepalive?: number;
  will?: { topic: string; payload: string; qos: 0 | 1 | 2; retain: boolean };
}

export interface MqttClient {
  connected: boolean;
  on(event: 'connect' | 'close', listener: () => void): this;
  on(event: 'message', listener: (topic: string, payload: Uint8Array) => void): this;
  on(event: 'error', listener: (error: Error & { code?: number }) => void): this;
  subscribe(topics: string[], options: { qos: 0 | 1 | 2 }): this;
  publish(topic: string, payload: string, options: PublishOptions, callback?: (error?: Error) => void): this;
  end(force?: boolean, options?: object, callback?: () => void): this;
}

export function connect(url: string, options?: ClientOptions): MqttClient;
declare const mqtt: { connect: typeof connect };
export default mqtt;
