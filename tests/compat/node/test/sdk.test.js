'use strict';
// The official `smartcar` Node SDK against smartcar-emulator.
//
// Each test states what the SDK gets from Smartcar (spec sections 2-5); a
// failure is a place where the emulator answers differently. Uses
// SMARTCAR_EMULATOR_URL when set, else starts SMARTCAR_EMULATOR_BIN
// (default build/smartcar-emulator) for this file.

const {test, before, after} = require('node:test');
const assert = require('node:assert/strict');
const {spawn} = require('node:child_process');
const crypto = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const CLIENT_ID = '8229df9f-91a0-4ff0-a1ae-a1f38ee24d07';
const CLIENT_SECRET = 'emulator-client-secret';
const REDIRECT_URI = 'http://localhost:8000/callback';
const AMT = 'emulator-management-token';
const ACTION_MESSAGE = 'Successfully sent request to vehicle';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ALL_SCOPES = [
  'read_vehicle_info', 'read_vin', 'read_odometer', 'read_location',
  'read_fuel', 'read_battery', 'read_charge', 'read_engine_oil',
  'read_tires', 'read_security', 'read_service_history', 'read_diagnostics',
  'control_charge', 'control_security', 'control_navigation',
];
const KINDS = {TESLA: 'bev', TOYOTA: 'phev', FORD: 'ice'};

let BASE;
let emulator;
let smartcar;

before(async() => {
  BASE = process.env.SMARTCAR_EMULATOR_URL;
  if (!BASE) {
    const bin = process.env.SMARTCAR_EMULATOR_BIN ||
      path.join(ROOT, 'build', 'smartcar-emulator');
    emulator = spawn(bin, ['--port', '0', '--seed', '13'],
      {stdio: ['ignore', 'pipe', 'ignore']});
    const lines = readline.createInterface({input: emulator.stdout});
    BASE = await new Promise((resolve, reject) => {
      lines.once('line', resolve);
      emulator.once('exit', () => reject(new Error(`emulator did not start (${bin})`)));
    });
  }
  BASE = BASE.replace(/\/+$/, '');
  Object.assign(process.env, {
    // Node takes origins; SMARTCAR_API_ORIGIN also serves as Connect's
    SMARTCAR_API_ORIGIN: BASE,
    SMARTCAR_AUTH_ORIGIN: BASE,
    SMARTCAR_MANAGEMENT_API_ORIGIN: BASE,
    // the v3 calls (getVehicle, getSignals, getSignal): Node's variable
    SMARTCAR_API_V3_ORIGIN: BASE,
    SMARTCAR_CLIENT_ID: CLIENT_ID,
    SMARTCAR_CLIENT_SECRET: CLIENT_SECRET,
  });
  smartcar = require('smartcar');
});

after(() => {
  if (emulator) {
    emulator.kill('SIGTERM');
  }
});

async function control(method, p, body) {
  const res = await fetch(BASE + p, {
    method,
    headers: {'Content-Type': 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {status: res.status, body: await res.json()};
}

function authClient(options = {}) {
  return new smartcar.AuthClient({
    clientId: CLIENT_ID, clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI, mode: 'test', ...options,
  });
}

async function approve(authUrl, email, action = 'approve') {
  const r = await control('POST', '/_emulator/connect',
    {authorize_url: authUrl, action, email});
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return new URL(r.body.location).searchParams;
}

/** A fresh owner who connected all three cars. */
async function newOwner(scope = ALL_SCOPES) {
  const email = `node-${crypto.randomBytes(6).toString('hex')}@example.com`;
  const client = authClient();
  const code = (await approve(client.getAuthUrl(scope), email)).get('code');
  const access = await client.exchangeCode(code);
  const {vehicles: ids} = await smartcar.getVehicles(access.accessToken);
  const byKind = {};
  if (scope.includes('read_vehicle_info')) {
    for (const id of ids) {
      const a = await new smartcar.Vehicle(id, access.accessToken).attributes();
      byKind[KINDS[a.make] || a.make] = id;
    }
  }
  return {
    email, client, access, ids, byKind, token: access.accessToken,
    vehicle(kind, options) {
      return new smartcar.Vehicle(byKind[kind], access.accessToken, options);
    },
  };
}

async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected a SmartcarError');
}

// ------------------------------------------------------------------ auth

test('getAuthUrl points at the emulator (via SMARTCAR_API_ORIGIN)', async() => {
  const url = new URL(authClient().getAuthUrl(['read_odometer'],
    {state: 's1', makeBypass: 'TESLA', singleSelect: {enabled: true},
      flags: {country: 'DE'}}));
  assert.equal(url.origin, BASE);
  assert.equal(url.pathname, '/oauth/authorize');
  assert.equal(url.searchParams.get('client_id'), CLIENT_ID);
  assert.equal(url.searchParams.get('mode'), 'test');
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /text\/html/);
});

test('exchangeCode through the consent form, then refresh', async() => {
  const client = authClient();
  const q = new URL(client.getAuthUrl(['read_odometer'], {state: 'abc'})).searchParams;
  const form = new URLSearchParams(q);
  form.set('email', 'node-form@example.com');
  form.set('password', 'pw');
  form.set('action', 'allow');
  const res = await fetch(`${BASE}/oauth/authorize/decide`,
    {method: 'POST', body: form, redirect: 'manual'});
  assert.equal(res.status, 302);
  const loc = new URL(res.headers.get('location'));
  assert.equal(loc.searchParams.get('state'), 'abc');
  const access = await client.exchangeCode(loc.searchParams.get('code'));
  assert.match(access.accessToken, UUID);
  assert.match(access.refreshToken, UUID);
  assert.ok(access.expiration instanceof Date);
  const ms = access.expiration.getTime() - Date.now();
  assert.ok(ms > 7100e3 && ms <= 7200e3);
  const next = await client.exchangeRefreshToken(access.refreshToken);
  assert.notEqual(next.accessToken, access.accessToken);
  assert.notEqual(next.refreshToken, access.refreshToken);
});

test('unknown code -> SmartcarError invalid_request 400', async() => {
  const e = await rejects(authClient().exchangeCode('THIS_SHOULD_NOT_WORK'));
  assert.equal(e.name, 'SmartcarError');
  assert.equal(e.statusCode, 400);
  assert.equal(e.type, 'invalid_request');
  assert.equal(e.description, 'Invalid code: THIS_SHOULD_NOT_WORK.');
});

test('used code -> SmartcarError invalid_grant 400', async() => {
  const client = authClient();
  const code = (await approve(client.getAuthUrl(['read_odometer']),
    'node-used@example.com')).get('code');
  await client.exchangeCode(code);
  const e = await rejects(client.exchangeCode(code));
  assert.equal(e.statusCode, 400);
  assert.equal(e.type, 'invalid_grant');
  assert.equal(e.description, `Invalid code: ${code}.`);
});

test('bad client secret -> invalid_client 401', async() => {
  const e = await rejects(authClient({clientSecret: 'nope'})
    .exchangeRefreshToken('x'));
  assert.equal(e.statusCode, 401);
  assert.equal(e.type, 'invalid_client');
});

// ------------------------------------------------------------ user, list

test('getUser and getVehicles with paging', async() => {
  const o = await newOwner();
  const user = await smartcar.getUser(o.token);
  assert.match(user.id, UUID);
  assert.match(user.meta.requestId, UUID);
  const all = await smartcar.getVehicles(o.token);
  assert.equal(all.vehicles.length, 3);
  assert.deepEqual(all.paging, {count: 3, offset: 0});
  const page = await smartcar.getVehicles(o.token, {limit: 1, offset: 2});
  assert.deepEqual(page.vehicles, [all.vehicles[2]]);
});

test('bad token -> AUTHENTICATION 401 with the full error body', async() => {
  const e = await rejects(smartcar.getUser('not-a-token'));
  assert.equal(e.statusCode, 401);
  assert.equal(e.type, 'AUTHENTICATION');
  assert.equal(e.code, undefined); // null code is not copied over
  assert.match(e.docURL, /authentication-errors#null$/);
  assert.match(e.requestId, UUID);
  assert.deepEqual(e.resolution, {type: null});
  assert.match(e.message, /^AUTHENTICATION:null - The authorization header/);
});

// -------------------------------------------------------- vehicle methods

test('reads: attributes, vin, odometer, location', async() => {
  const o = await newOwner();
  const v = o.vehicle('bev');
  const a = await v.attributes();
  assert.equal(a.make, 'TESLA');
  assert.equal(typeof a.year, 'number');
  assert.ok(a.meta.dataAge instanceof Date);
  assert.ok(a.meta.fetchedAt instanceof Date);
  assert.equal((await v.vin()).vin.length, 17);
  const odo = await v.odometer();
  assert.equal(odo.meta.unitSystem, 'metric');
  const mi = await o.vehicle('bev', {unitSystem: 'imperial'}).odometer();
  assert.equal(mi.meta.unitSystem, 'imperial');
  assert.ok(Math.abs(mi.distance * 1.609344 - odo.distance) < 2);
  const loc = await v.location();
  assert.ok(Math.abs(loc.latitude) <= 90 && Math.abs(loc.longitude) <= 180);
});

test('EV reads: battery, capacity, nominal capacity, charge, limit', async() => {
  const v = (await newOwner()).vehicle('bev');
  const b = await v.battery();
  assert.ok(b.percentRemaining >= 0 && b.percentRemaining <= 1);
  assert.ok((await v.batteryCapacity()).capacity > 0);
  const n = await v.nominalCapacity();
  assert.ok(Array.isArray(n.availableCapacities));
  const c = await v.charge();
  assert.equal(typeof c.isPluggedIn, 'boolean');
  assert.ok(['CHARGING', 'FULLY_CHARGED', 'NOT_CHARGING'].includes(c.state));
  const act = await v.setChargeLimit(0.7); // sent as the string "0.7"
  assert.equal(act.status, 'success');
  assert.equal(act.message, ACTION_MESSAGE);
  assert.equal((await v.getChargeLimit()).limit, 0.7);
});

test('ICE reads: fuel, engine oil, tires, diagnostics, service history', async() => {
  const v = (await newOwner()).vehicle('ice');
  const f = await v.fuel();
  assert.ok(f.percentRemaining >= 0 && f.percentRemaining <= 1);
  const oil = await v.engineOil();
  assert.ok(oil.lifeRemaining >= 0 && oil.lifeRemaining <= 1);
  const t = await v.tirePressure();
  for (const k of ['frontLeft', 'frontRight', 'backLeft', 'backRight']) {
    assert.equal(typeof t[k], 'number');
  }
  const s = await v.diagnosticSystemStatus();
  assert.ok(s.systems.length > 0);
  const d = await v.diagnosticTroubleCodes();
  assert.ok(Array.isArray(d.activeCodes));
  const h = await v.serviceHistory('2020-01-01', '2030-01-01');
  assert.ok(Array.isArray(h.data)); // array bodies come back as {data, meta}
  assert.match(h.meta.requestId, UUID);
});

test('BEV fuel -> COMPATIBILITY VEHICLE_NOT_CAPABLE 501', async() => {
  const e = await rejects((await newOwner()).vehicle('bev').fuel());
  assert.equal(e.statusCode, 501);
  assert.equal(e.type, 'COMPATIBILITY');
  assert.equal(e.code, 'VEHICLE_NOT_CAPABLE');
});

test('commands: lock/unlock/lockStatus, charge start/stop, destination', async() => {
  const o = await newOwner();
  const v = o.vehicle('bev');
  assert.equal((await v.lock()).message, ACTION_MESSAGE);
  assert.equal((await v.lockStatus()).isLocked, true);
  assert.equal((await v.unlock()).status, 'success');
  assert.equal((await v.lockStatus()).isLocked, false);
  const r = await control('POST', `/_emulator/vehicles/${o.byKind.bev}`,
    {plugged_in: true, percent_remaining: 0.5});
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal((await v.startCharge()).status, 'success');
  assert.equal((await v.charge()).state, 'CHARGING');
  assert.equal((await v.stopCharge()).status, 'success');
  assert.equal((await v.sendDestination(48.8566, 2.3522)).message, ACTION_MESSAGE);
});

// ------------------------------------------------------------------- v3
// Single resources at the top level (no "data" wrapper), as the SDK reads
// them; headers are every response header, lower case.

async function v3Paths() {
  const seen = (await control('GET', '/_emulator/requests')).body.requests;
  return seen.map((r) => r.path).filter((p) => p.startsWith('/v3/'));
}

test('v3 getVehicle (via SMARTCAR_API_V3_ORIGIN)', async() => {
  const o = await newOwner();
  const id = o.byKind.phev;
  await control('DELETE', '/_emulator/requests');
  const res = await smartcar.getVehicle(o.token, id);
  assert.deepEqual(await v3Paths(), [`/v3/vehicles/${id}`]);
  assert.equal(res.body.data, undefined);
  assert.equal(res.body.id, id);
  assert.equal(res.body.type, 'vehicle');
  const v2 = await o.vehicle('phev').attributes();
  const {make, model, year, powertrainType} = res.body.attributes;
  assert.deepEqual([make, model, year], [v2.make, v2.model, v2.year]);
  assert.equal(make, 'TOYOTA');
  assert.equal(powertrainType, 'PHEV');
  assert.match(res.headers['sc-request-id'], UUID);
  assert.match(res.headers['content-type'], /application\/json/);
});

test('v3 getSignals: every signal, values that match v2', async() => {
  const o = await newOwner();
  const v = o.vehicle('bev');
  const res = await v.getSignals();
  const byCode = Object.fromEntries(res.body.data.map((s) => [s.id, s]));
  assert.equal(res.body.data.length, 12);
  assert.equal(res.body.included.vehicle.id, o.byKind.bev);
  const soc = byCode['tractionbattery-stateofcharge'].attributes;
  assert.equal(soc.status.value, 'SUCCESS');
  assert.equal(soc.body.unit, 'percent');
  const battery = await v.battery();
  assert.ok(Math.abs(soc.body.value - battery.percentRemaining * 100) < 0.01);
  const fuel = byCode['internalcombustionengine-fuellevel'].attributes;
  assert.deepEqual(fuel.status, {value: 'ERROR',
    error: {type: 'COMPATIBILITY', code: 'VEHICLE_NOT_CAPABLE'}});
  assert.ok(byCode['odometer-traveleddistance'].meta.retrievedAt >
    1600000000000);
  assert.equal(res.headers['sc-unit-system'], 'metric');
});

test('v3 getSignal follows lock and unlock', async() => {
  const o = await newOwner();
  const v = o.vehicle('ice');
  await v.lock();
  let res = await v.getSignal('closure-islocked');
  assert.equal(res.body.data, undefined);
  assert.equal(res.body.id, 'closure-islocked');
  assert.equal(res.body.attributes.group, 'Closure');
  assert.equal(res.body.attributes.body.value, true);
  await v.unlock();
  res = await v.getSignal('closure-islocked');
  assert.equal(res.body.attributes.body.value, false);
  res = await v.getSignal('vehicleidentification-vin');
  assert.equal(res.body.attributes.body.value, (await v.vin()).vin);
  const e = await rejects(v.getSignal('charge-bogus'));
  assert.equal(e.statusCode, 404);
});

test('permissions with paging', async() => {
  const v = (await newOwner()).vehicle('phev');
  const p = await v.permissions();
  assert.deepEqual([...p.permissions].sort(), [...ALL_SCOPES].sort());
  const page = await v.permissions({limit: 3, offset: 2});
  assert.equal(page.permissions.length, 3);
  assert.deepEqual(page.paging, {count: ALL_SCOPES.length, offset: 2});
});

test('missing permission -> PERMISSION 403 REAUTHENTICATE', async() => {
  const o = await newOwner(['read_vehicle_info', 'read_odometer']);
  const e = await rejects(o.vehicle('bev').location());
  assert.equal(e.statusCode, 403);
  assert.equal(e.type, 'PERMISSION');
  assert.equal(e.resolution.type, 'REAUTHENTICATE');
});

test('batch: successes and a per-path error', async() => {
  const v = (await newOwner()).vehicle('bev');
  const b = await v.batch(['/odometer', '/tires/pressure', '/', '/fuel']);
  assert.ok(b.odometer().distance > 0);
  assert.equal(typeof b.tirePressure().frontLeft, 'number');
  assert.equal(b.attributes().make, 'TESLA');
  assert.throws(() => b.fuel(), (e) =>
    e.type === 'COMPATIBILITY' && e.code === 'VEHICLE_NOT_CAPABLE');
});

test('request() passthrough', async() => {
  const v = (await newOwner()).vehicle('bev');
  const r = await v.request('get', 'odometer');
  assert.ok(r.body.distance > 0);
  assert.equal(r.meta.unitSystem, 'metric');
});

test('disconnect ends access and the management connection', async() => {
  const o = await newOwner();
  const v = o.vehicle('ice');
  assert.equal((await v.disconnect()).status, 'success');
  const e = await rejects(v.odometer());
  assert.ok([401, 403].includes(e.statusCode));
  const left = await smartcar.getConnections(AMT, {vehicleId: o.byKind.ice});
  assert.deepEqual(left.connections, []);
});

// ------------------------------------------------------------ management

test('getConnections: filters, cursor paging, newest first', async() => {
  const o = await newOwner();
  const uid = (await smartcar.getUser(o.token)).id;
  const all = await smartcar.getConnections(AMT, {userId: uid});
  assert.deepEqual(all.connections.map((c) => c.vehicleId).sort(), [...o.ids].sort());
  for (const c of all.connections) {
    assert.equal(c.userId, uid);
    assert.ok(!Number.isNaN(Date.parse(c.connectedAt)));
  }
  assert.equal(all.paging.cursor, null);
  const first = await smartcar.getConnections(AMT, {userId: uid}, {limit: 1});
  assert.equal(first.connections.length, 1);
  const second = await smartcar.getConnections(AMT, {userId: uid},
    {limit: 5, cursor: first.paging.cursor});
  assert.equal(second.connections.length, 2);
  const everyone = await smartcar.getConnections(AMT, {}, {limit: 100});
  const times = everyone.connections.map((c) => Date.parse(c.connectedAt));
  assert.deepEqual(times, [...times].sort((a, b) => b - a));
});

test('deleteConnections by user revokes every vehicle', async() => {
  const o = await newOwner();
  const uid = (await smartcar.getUser(o.token)).id;
  const res = await smartcar.deleteConnections(AMT, {userId: uid});
  assert.equal(res.connections.length, 3);
  for (const c of res.connections) {
    assert.deepEqual(Object.keys(c).sort(), ['userId', 'vehicleId']);
  }
  const e = await rejects(o.vehicle('bev').odometer());
  assert.ok([401, 403].includes(e.statusCode));
  assert.deepEqual((await smartcar.getVehicles(o.token)).vehicles, []);
  // the SDK itself refuses both filters at once
  await assert.rejects(smartcar.deleteConnections(AMT, {userId: uid, vehicleId: 'x'}),
    /not both/);
});

test('management with a bad AMT -> AUTHENTICATION 401', async() => {
  const e = await rejects(smartcar.getConnections('wrong'));
  assert.equal(e.statusCode, 401);
  assert.equal(e.type, 'AUTHENTICATION');
});

// --------------------------------------------------------- compatibility

test('getCompatibility live by VIN', async() => {
  const o = await newOwner();
  const {vin} = await o.vehicle('ice').vin();
  const c = await smartcar.getCompatibility(vin, ['read_odometer', 'read_battery'], 'US');
  assert.equal(c.compatible, true);
  assert.equal(c.reason, null);
  const battery = c.capabilities.find((x) => x.permission === 'read_battery');
  assert.equal(battery.capable, false);
  assert.equal(battery.reason, 'VEHICLE_NOT_CAPABLE');
  const odo = c.capabilities.find((x) => x.permission === 'read_odometer');
  assert.deepEqual(odo, {permission: 'read_odometer', endpoint: '/odometer',
    capable: true, reason: null});
  // any well-formed VIN: its manufacturer code and model year decide
  const audi = await smartcar.getCompatibility('WAUZZZ8V0LA123456', ['read_odometer']);
  assert.equal(audi.compatible, true);
  const old = await smartcar.getCompatibility('1G1ZT53806F109149', ['read_odometer']);
  assert.equal(old.compatible, false);
  assert.equal(old.reason, 'VEHICLE_NOT_COMPATIBLE');
  assert.deepEqual(old.capabilities, []);
  const unknown = await smartcar.getCompatibility('9BWZZZ377VT004251', ['read_odometer']);
  assert.equal(unknown.reason, 'MAKE_NOT_COMPATIBLE');
  // a test VIN: compatible in test mode only
  const live = await smartcar.getCompatibility('0SCAUDI012FE3B132', ['read_odometer']);
  assert.equal(live.reason, 'MAKE_NOT_COMPATIBLE');
  const test = await smartcar.getCompatibility('0SCAUDI012FE3B132',
    ['read_odometer'], 'US', {testModeCompatibilityLevel: 'compatible'});
  assert.equal(test.compatible, true);
  // v1.0: {compatible} only
  const v1 = await smartcar.getCompatibility('1G1FY6S05P4123456',
    ['read_battery'], 'US', {version: '1.0'});
  assert.equal(v1.compatible, true);
  assert.equal(v1.capabilities, undefined);
});

test('v1.0: reads, and errors in the v1 shape', async() => {
  const o = await newOwner();
  smartcar.setApiVersion('1.0');
  try {
    const odo = await o.vehicle('bev').odometer();
    assert.ok(odo.distance > 0);
    const e = await rejects(o.vehicle('bev').fuel());
    assert.equal(e.statusCode, 501);
    assert.equal(e.type, 'vehicle_not_capable_error');
    assert.equal(e.description, 'Vehicle is not capable of performing request.');
    assert.equal(e.code, 'VEHICLE_NOT_CAPABLE');
  } finally {
    smartcar.setApiVersion('2.0');
  }
});

test('getCompatibility test mode levels', async() => {
  const bev = await smartcar.getCompatibility('0SCTEST0000000000',
    ['read_battery', 'read_fuel'], 'US', {testModeCompatibilityLevel: 'bev'});
  assert.equal(bev.compatible, true);
  const caps = Object.fromEntries(bev.capabilities.map((x) => [x.endpoint, x.capable]));
  assert.equal(caps['/battery'], true);
  assert.equal(caps['/fuel'], false);
  const no = await smartcar.getCompatibility('0SCTEST0000000000', ['read_odometer'],
    {testModeCompatibilityLevel: 'incompatible'});
  assert.equal(no.compatible, false);
  const e = await rejects(smartcar.getCompatibility('0SCTEST0000000000',
    ['read_odometer'], 'US', {mode: 'test'}));
  assert.equal(e.statusCode, 400);
  assert.equal(e.type, 'VALIDATION');
  assert.deepEqual(e.detail[0], {field: 'test_mode_compatibility_level',
    message: 'Field must be one of: [compatible,phev,incompatible,fuel,dinosaur,bev]'});
});

test('getCompatibilityMatrix', async() => {
  const m = await smartcar.getCompatibilityMatrix('US',
    {make: ['TESLA', 'NISSAN'], scope: ['read_battery'], type: 'BEV'});
  assert.deepEqual(Object.keys(m).filter((k) => k !== 'meta').sort(), ['NISSAN', 'TESLA']);
  assert.equal(m.NISSAN[0].model, 'LEAF');
  assert.ok(m.TESLA.every((r) => r.permissions.includes('read_battery')));
  const e = await rejects(smartcar.getCompatibilityMatrix('US', {clientSecret: 'bad'}));
  assert.equal(e.statusCode, 401);
});

// -------------------------------------------------------------- webhooks

function callbackServer() {
  const got = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      const body = JSON.parse(raw);
      got.push({signature: req.headers['sc-signature'], raw, body,
        contentType: req.headers['content-type']});
      const inner = body.payload || body.data || {};
      const reply = inner.challenge ?
        {challenge: smartcar.hashChallenge(AMT, inner.challenge)} : {};
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(reply));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    got, server, url: `http://127.0.0.1:${server.address().port}/hook`,
  })));
}

for (const version of ['2.0', '4.0']) {
  test(`webhook ${version}: verify, subscribe, signed delivery, unsubscribe`, async() => {
    const cb = await callbackServer();
    try {
      const o = await newOwner();
      const wid = `node-${version}-${crypto.randomBytes(4).toString('hex')}`;
      const reg = await control('POST', '/_emulator/webhooks',
        {webhook_id: wid, callback_url: cb.url, version, name: 'compat'});
      assert.equal(reg.body.verified, true, JSON.stringify(reg.body));
      assert.equal(smartcar.verifyPayload(AMT, cb.got[0].signature, cb.got[0].body), true);

      const v = o.vehicle('bev');
      const sub = await v.subscribe(wid);
      assert.equal(sub.webhookId, wid);
      assert.equal(sub.vehicleId, o.byKind.bev);

      const d = await control('POST', `/_emulator/webhooks/${wid}/deliver`, {});
      assert.equal(d.body.deliveries.length, 1);
      const last = cb.got[cb.got.length - 1];
      assert.equal(last.contentType, 'application/json');
      // Node verifies JSON.stringify(parsed body): compact, same key order
      assert.equal(smartcar.verifyPayload(AMT, last.signature, last.body), true);
      assert.equal(JSON.stringify(last.body), last.raw);

      const e = await rejects(v.unsubscribe('wrong-amt', wid));
      assert.equal(e.statusCode, 401);
      assert.equal(e.type, 'AUTHENTICATION');
      const un = await v.unsubscribe(AMT, wid);
      assert.equal(un.status, 'success');
      const log = await control('GET', '/_emulator/webhooks/deliveries');
      const mine = log.body.deliveries.filter((x) => x.webhook_id === wid);
      assert.deepEqual(mine.map((x) => x.status), [200, 200]);
    } finally {
      cb.server.close();
    }
  });
}

test('subscribe to an unknown webhook -> VALIDATION 400', async() => {
  const e = await rejects((await newOwner()).vehicle('bev').subscribe('nope'));
  assert.equal(e.statusCode, 400);
  assert.equal(e.type, 'VALIDATION');
});

test('hashChallenge / verifyPayload test vectors', () => {
  assert.equal(smartcar.hashChallenge('amt', 'challenge'),
    '9baf5a7464bd86740ad5a06e439dcf535a075022ed2c92d74efacf646d79328e');
  assert.equal(smartcar.verifyPayload('amt',
    '4c05a8da471f05156ad717baa4017acd13a3a809850b9ca7d3301dcaaa854f70',
    {pizza: 'pasta'}), true);
});

// ------------------------------------------------------------------ https

test('the SDK over HTTPS, trusting the throwaway CA (NODE_EXTRA_CA_CERTS)', async() => {
  const fs = require('node:fs');
  const os = require('node:os');
  const {execFileSync} = require('node:child_process');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-tls-'));
  execFileSync(path.join(ROOT, 'tests', 'tls', 'make-cert.sh'), [dir]);
  const bin = process.env.SMARTCAR_EMULATOR_BIN ||
    path.join(ROOT, 'build', 'smartcar-emulator');
  const emu = spawn(bin, ['--port', '0', '--tls-cert', path.join(dir, 'server.crt'),
    '--tls-key', path.join(dir, 'server.key')], {stdio: ['ignore', 'pipe', 'ignore']});
  try {
    const url = await new Promise((resolve) =>
      readline.createInterface({input: emu.stdout}).once('line', resolve));
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    // NODE_EXTRA_CA_CERTS is read at start-up: run the SDK in a child
    const script = `
      const smartcar = require('smartcar');
      smartcar.getCompatibility('5YJ3E1EA0LF000000', ['read_odometer'])
        .then((c) => smartcar.getUser('nope').catch((e) =>
          console.log(c.compatible, e.type, e.statusCode)));`;
    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: path.resolve(__dirname, '..'),
      env: {...process.env, SMARTCAR_API_ORIGIN: url,
        NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.crt')},
    }).toString().trim();
    assert.equal(out, 'true AUTHENTICATION 401');
  } finally {
    emu.kill('SIGTERM');
    fs.rmSync(dir, {recursive: true, force: true});
  }
});
