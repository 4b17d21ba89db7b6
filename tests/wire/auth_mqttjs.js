// MQTT.js as the mini-program uses it, with the credentials the old login wrote: a wrong password
// is refused, the owner's own lock is subscribable and nothing else is, the other owner's role
// cannot be published. Usage: node auth_mqttjs.js URL LOCKNO KEY PWD LOCK_PWD. Prints
// "mqttjs: ok" or exits non-zero naming the first unexpected thing (each wait has a deadline).
const mqtt = require('mqtt');

const [url, lock, key, pwd, lockPwd] = process.argv.slice(2);
const other = 'L' + Math.random().toString(16).slice(2, 12).padEnd(10, '0');

function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function connect(clientId, username, password) {
  return within(8000, `connect ${clientId}`, new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId, username, password, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 });
    c.once('connect', () => resolve(c));
    c.once('error', (e) => { c.end(true); reject(e); });
  }));
}

function fail(why) {
  console.log(`mqttjs: FAILED ${why}`);
  process.exit(1);
}

(async () => {
  try {
    await connect('js-bad', key, pwd + 'x');
    fail('a wrong password was accepted');
  } catch (e) {
    if (e.code !== 5) fail(`wrong password: expected CONNACK 5, got ${e.message}`);
  }
  const owner = await connect('js-owner', key, pwd);
  const granted = await within(5000, 'suback', owner.subscribeAsync(`/${lock}/#`, { qos: 1 }));
  if (granted[0].qos !== 1) fail(`own lock granted ${JSON.stringify(granted)}`);
  // MQTT.js 5 turns a 0x80 return code into an error (older versions reported qos 128).
  for (const filter of [`/${other}/#`, '#', '/+/statu']) {
    const denied = await within(5000, `suback ${filter}`, owner.subscribeAsync(filter, { qos: 1 })
      .then((g) => g[0].qos === 128, () => true));
    if (!denied) fail(`${filter} was granted`);
  }

  const got = [];
  owner.on('message', (t, p) => got.push(`${t} ${p}`));
  const device = await connect(lock, lock, lockPwd);
  await device.publishAsync(`/${lock}/statu`, '0', { qos: 1 });
  await owner.publishAsync(`/${lock}/f`, 'forged', { qos: 1 });  // acknowledged, not routed
  await owner.publishAsync(`/${lock}/m`, 'mine', { qos: 1 });
  await within(5000, 'two messages', new Promise((resolve) => {
    const check = () => (got.length >= 2 ? resolve() : setTimeout(check, 10));
    check();
  }));
  const expected = [`/${lock}/statu 0`, `/${lock}/m mine`];
  if (JSON.stringify(got.slice(0, 2)) !== JSON.stringify(expected)) fail(`received ${JSON.stringify(got)}`);
  if (got.length > 2) fail(`extra messages ${JSON.stringify(got)}`);
  owner.end(true);
  device.end(true);
  console.log('mqttjs: ok');
})().catch((e) => fail(e.message));
