// A user's home broker in a federation: the rule of `HomeBrokers` in PresenceWire (Swift), the
// same bytes in and the same index out (README, "Scaling out" → "How homes are assigned").
import { PresenceInputError, isValidId } from './wire.js';

const MASK = (1n << 64n) - 1n;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const encoder = new TextEncoder();

/**
 * The rendezvous score of `user` at `broker`: `mix64(FNV-1a-64(UTF-8 of broker + "|" + user))`,
 * FNV-1a-64 from 0xcbf29ce484222325 times 0x100000001b3 after XOR-ing each byte, mix64 being
 * MurmurHash3's 64-bit finaliser, all modulo 2⁶⁴.
 * @param {string} broker the broker's federation id: its `mqtt://` URL exactly as in the federation's list
 * @param {string} user
 * @returns {bigint} an unsigned 64-bit integer
 */
export function brokerScore(broker, user) {
  let hash = FNV_OFFSET;
  for (const byte of encoder.encode(`${broker}|${user}`)) {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK;
  }
  hash ^= hash >> 33n;
  hash = (hash * 0xff51afd7ed558ccdn) & MASK;
  hash ^= hash >> 33n;
  hash = (hash * 0xc4ceb9fe1a85ec53n) & MASK;
  hash ^= hash >> 33n;
  return hash;
}

/**
 * The index of `user`'s home in the federation's broker list: the broker with the highest
 * score, a tie going to the broker earlier in the list.
 * @param {readonly string[]} brokers the federation's brokers in order, each its `mqtt://` URL
 *   byte for byte as `presence-bridge run --brokers` is given it (not the URL a browser connects to)
 * @param {string} user
 * @returns {number}
 */
export function homeIndex(brokers, user) {
  checkBrokers(brokers);
  if (!isValidId(user)) throw new PresenceInputError('user', `${JSON.stringify(user)} is not a valid id`);
  let best = 0;
  let bestScore = -1n;
  brokers.forEach((broker, index) => {
    const score = brokerScore(broker, user);
    if (score > bestScore) { best = index; bestScore = score; }
  });
  return best;
}

/**
 * `user`'s home broker: its entry in `brokers` (see `homeIndex`).
 * @param {readonly string[]} brokers
 * @param {string} user
 * @returns {string}
 */
export function homeBroker(brokers, user) { return brokers[homeIndex(brokers, user)]; }

/**
 * A list the Swift side accepts too: not empty, no empty entry, no broker named twice.
 * @param {readonly string[]} brokers
 */
function checkBrokers(brokers) {
  if (!Array.isArray(brokers) || brokers.length === 0) throw new PresenceInputError('brokers', 'the broker list is empty');
  if (brokers.some((broker) => typeof broker !== 'string' || broker === '')) throw new PresenceInputError('brokers', 'a broker is not a non-empty string');
  if (new Set(brokers).size !== brokers.length) throw new PresenceInputError('brokers', 'a broker is named twice');
}

/**
 * One broker of a federation as a browser sees it.
 * @typedef {object} FederationBroker
 * @property {string} id its entry in the federation's list, the `mqtt://` URL that is hashed,
 *   byte for byte as `presence-bridge run --brokers` has it (e.g. `mqtt://10.0.0.2:1883`)
 * @property {string} url the WebSockets URL a browser connects to for this broker (e.g. `wss://b.example.org/mqtt`)
 */

/**
 * `user`'s home among `brokers` (in the federation's order): the pair whose `id` wins, so the
 * URL connected to is always the one written beside the id that was hashed.
 * @param {readonly FederationBroker[]} brokers
 * @param {string} user
 * @returns {FederationBroker & {index: number}}
 */
export function homeOf(brokers, user) {
  if (!Array.isArray(brokers) || brokers.some((b) => !b || typeof b.id !== 'string' || typeof b.url !== 'string' || b.url === '')) {
    throw new PresenceInputError('brokers', 'brokers must be a list of {id, url}: the federation\'s mqtt:// URL and the WebSockets URL of each broker');
  }
  // A WebSockets URL as the id hashes to another home than the bridge's: refused, not guessed.
  const wrong = brokers.find((b) => /^wss?:\/\//i.test(b.id));
  if (wrong) throw new PresenceInputError('brokers', `${JSON.stringify(wrong.id)} is a WebSockets URL: id is the broker's entry in the federation's list (mqtt://…), url the WebSockets URL`);
  const index = homeIndex(brokers.map((b) => b.id), user);
  return { ...brokers[index], index };
}
