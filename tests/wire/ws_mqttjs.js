// MQTT.js (the library the mini-program's client is built from) against Sakura over ws:// or
// wss://: connect, subscribe, QoS 0/1/2, a retained message, and a will fired by destroying the
// socket. Usage: node ws_mqttjs.js URL [CA_FILE]. Prints one JSON line of what was observed; exits
// non-zero with a reason on the first unexpected thing (each wait has a deadline).
const fs = require('fs');
const mqtt = require('mqtt');

const url = process.argv[2];
const tls = process.argv[3] ? { ca: fs.readFileSync(process.argv[3]), rejectUnauthorized: true } : {};
const run = Math.random().toString(16).slice(2, 10);
const topic = (t) => `/js${run}/${t}`;

function connect(clientId, extra = {}) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...tls, ...extra });
    c.once('connect', (ack) => resolve({ c, ack }));
    c.once('error', reject);
    c.once('close', () => reject(new Error(`${clientId}: closed before CONNACK`)));
  });
}

function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Resolves with the first `n` messages `c` receives.
function collect(c, n) {
  const got = [];
  return new Promise((resolve) => {
    const on = (t, payload, packet) => {
      got.push({ topic: t, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
      if (got.length === n) {
        c.removeListener('message', on);
        resolve(got);
      }
    };
    c.on('message', on);
  });
}

async function main() {
  const out = {};
  const { c: sub, ack } = await within(5000, 'subscriber CONNACK', connect(`sub-${run}`));
  out.connack_session_present = ack.sessionPresent;
  const granted = await within(5000, 'SUBACK', sub.subscribeAsync(topic('data/#'), { qos: 2 }));
  out.granted = granted.map((g) => g.qos);

  const { c: pub } = await within(5000, 'publisher CONNACK', connect(`pub-${run}`));
  const received = collect(sub, 3);
  for (const qos of [0, 1, 2]) await within(5000, `publish qos ${qos}`, pub.publishAsync(topic(`data/q${qos}`), `m${qos}`, { qos }));
  out.messages = (await within(5000, 'three messages', received)).sort((a, b) => a.qos - b.qos);

  await within(5000, 'retained publish', pub.publishAsync(topic('retained'), 'kept', { qos: 1, retain: true }));
  const { c: late } = await within(5000, 'late CONNACK', connect(`late-${run}`));
  const retained = collect(late, 1);
  await within(5000, 'late SUBACK', late.subscribeAsync(topic('retained'), { qos: 1 }));
  out.retained = (await within(5000, 'retained message', retained))[0];

  const willSeen = collect(sub, 1);
  await within(5000, 'will subscription', sub.subscribeAsync(topic('will'), { qos: 1 }));
  const { c: dying } = await within(5000, 'dying CONNACK', connect(`dying-${run}`, {
    will: { topic: topic('will'), payload: Buffer.from('gone'), qos: 1, retain: false },
  }));
  dying.stream.destroy();  // no DISCONNECT: the broker must publish the will
  out.will = (await within(5000, 'will message', willSeen))[0];

  await pub.publishAsync(topic('retained'), '', { qos: 1, retain: true });  // leave no state behind
  for (const c of [sub, pub, late]) await c.endAsync();
  dying.end(true);
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(`mqtt.js scenario failed: ${e.message}`);
  process.exit(1);
});
