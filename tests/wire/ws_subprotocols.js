// MQTT.js over ws:// offering a chosen WebSocket subprotocol (or none), as WeChat's and other
// mini-program clients do: for each one, CONNECT, SUBSCRIBE and a QoS 1 round trip, and the
// subprotocol the broker echoed. Usage: node ws_subprotocols.js URL PROTO... ('-' offers none).
// Prints one JSON line {proto: {echoed, received} | {error}}.
const mqtt = require('mqtt');
const WebSocket = require('ws');

const url = process.argv[2];
const protos = process.argv.slice(3);

function attempt(proto) {
  return new Promise((resolve) => {
    let socket;
    const id = `sp-${Math.random().toString(16).slice(2, 10)}`;
    const topic = `/${id}/t`;
    const c = mqtt.connect(url, {
      clientId: id, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000,
      createWebsocket: (u) => (socket = proto === '-' ? new WebSocket(u) : new WebSocket(u, [proto])),
    });
    const timer = setTimeout(() => finish({ error: 'timed out' }), 8000);
    function finish(r) {
      clearTimeout(timer);
      c.end(true);
      resolve(r);
    }
    c.once('error', (e) => finish({ error: String(e.message || e) }));
    c.once('close', () => finish({ error: 'closed' }));
    c.once('connect', async () => {
      try {
        await c.subscribeAsync(topic, { qos: 1 });
        const got = new Promise((res) => c.once('message', (t, p) => res(p.toString())));
        await c.publishAsync(topic, 'hello', { qos: 1 });
        finish({ echoed: socket.protocol, received: await got });
      } catch (e) {
        finish({ error: String(e.message || e) });
      }
    });
  });
}

(async () => {
  const out = {};
  for (const p of protos) out[p] = await attempt(p);
  console.log(JSON.stringify(out));
})();
