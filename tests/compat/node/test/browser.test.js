'use strict';
// Connect in a real browser: headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core; no browser is ever downloaded) walks the
// emulator's Connect pages using only the element ids of Smartcar's
// Connect, once for every brand on the brand page, in test mode. Each
// brand's code is exchanged with the official Node SDK; the Node and the
// official Python SDK then read that brand's vehicles, and one of them
// charges. Then the official `@smartcar/auth` package runs its popup flow
// from a tiny static page on loopback through the emulator's /v2/redirect
// stand-in.
//
// Starts its own emulator (SMARTCAR_EMULATOR_BIN, default
// build/smartcar-emulator) because the popup flow needs the page's origin
// registered. Python: SMARTCAR_COMPAT_PYTHON (default
// build/compat-venv/bin/python), with the `smartcar` package.

const {test, before, after} = require('node:test');
const assert = require('node:assert/strict');
const {spawn, execFileSync} = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const CLIENT_ID = '8229df9f-91a0-4ff0-a1ae-a1f38ee24d07';
const CLIENT_SECRET = 'emulator-client-secret';
const SCOPE = ['read_vehicle_info', 'read_vin', 'read_odometer',
  'read_battery', 'read_charge', 'control_charge'];
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

let BASE;
let APP; // origin of the static single-page app
let REDIRECT_URI; // the back end's callback, on the same server
let emulator;
let appServer;
let context;
let userDataDir;
let smartcar;

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve(`http://127.0.0.1:${server.address().port}`)));
}

// The single-page app: the official @smartcar/auth build and a page that
// opens Connect in a popup and records what onComplete gets.
function appPage() {
  return `<!doctype html><html><head><meta charset="utf-8">
<script src="/sdk.js"></script></head><body>
<button id="connect">Connect</button>
<script>
  const q = new URLSearchParams(location.search);
  const sc = new Smartcar({
    clientId: ${JSON.stringify(CLIENT_ID)},
    redirectUri: q.get('redirect'),
    scope: ['read_vehicle_info', 'read_charge'],
    mode: 'test',
    onComplete: function(err, code, state) {
      window.done = {error: err ? err.name + ': ' + err.message : null,
        code: code || null, state: state || null};
    },
  });
  document.getElementById('connect').addEventListener('click', () =>
    sc.openDialog({state: 'spa-state', vehicleInfo: {make: q.get('make')}}));
</script></body></html>`;
}

before(async() => {
  const sdkJs = require.resolve('@smartcar/auth');
  appServer = http.createServer((req, res) => {
    if (req.url.startsWith('/sdk.js')) {
      res.writeHead(200, {'Content-Type': 'text/javascript'});
      res.end(fs.readFileSync(sdkJs));
    } else if (req.url.startsWith('/callback?')) {
      res.writeHead(200, {'Content-Type': 'text/html'});
      res.end('back');
    } else if (req.url === '/' || req.url.startsWith('/?')) {
      res.writeHead(200, {'Content-Type': 'text/html'});
      res.end(appPage());
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  APP = await listen(appServer);
  REDIRECT_URI = `${APP}/callback`;

  const bin = process.env.SMARTCAR_EMULATOR_BIN ||
    path.join(ROOT, 'build', 'smartcar-emulator');
  emulator = spawn(bin, ['--port', '0', '--seed', '17',
    '--redirect-uri', REDIRECT_URI,
    '--redirect-uri',
    `https://javascript-sdk.smartcar.com/v2/redirect?app_origin=${APP}`],
  {stdio: ['ignore', 'pipe', 'ignore']});
  const lines = readline.createInterface({input: emulator.stdout});
  BASE = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    emulator.once('exit', () => reject(new Error(`emulator did not start (${bin})`)));
  });
  Object.assign(process.env, {
    SMARTCAR_API_ORIGIN: BASE,
    SMARTCAR_AUTH_ORIGIN: BASE,
    SMARTCAR_MANAGEMENT_API_ORIGIN: BASE,
  });
  smartcar = require('smartcar');

  const {chromium} = require('playwright-core');
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  // the machine may be busy (other suites, sanitizer builds): generous
  // per-action limits, never a wall-time assertion
  context.setDefaultTimeout(60000);
  // Smartcar's Connect origin is the emulator (the popup's first request;
  // routes do not see the requests a redirect leads to)
  await context.route('https://connect.smartcar.com/**', (route) => {
    const u = new URL(route.request().url());
    return route.fulfill({status: 302,
      headers: {location: BASE + u.pathname + u.search}});
  });
});

after(async() => {
  if (context) await context.close();
  if (userDataDir) fs.rmSync(userDataDir, {recursive: true, force: true});
  if (appServer) appServer.close();
  if (emulator) emulator.kill('SIGTERM');
});

function authClient(options = {}) {
  return new smartcar.AuthClient({clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI, mode: 'test',
    ...options});
}

// Sign in and approve on the current Connect page (past the brand list).
async function signInAndApprove(page, email) {
  await page.fill('#username', email);
  await page.fill('#password', 'any-password');
  await page.click('#sign-in-button');
  await page.click('#approval-button');
}

test('every brand on the brand page connects its own vehicles (Chromium, Connect element ids; Node and Python SDKs read them)', async() => {
  const client = authClient();
  const page = await context.newPage();
  await page.goto(client.getAuthUrl(SCOPE, {forcePrompt: true}));
  await page.click('#continue-button');
  const brands = await page.$$eval('.brand-list-item', (els) =>
    els.map((e) => e.id));
  assert.ok(brands.length >= 13, `brands: ${brands}`);
  for (const b of ['TESLA', 'FORD', 'CHEVROLET', 'BMW', 'KIA', 'RIVIAN']) {
    assert.ok(brands.includes(b), `${b} is on the brand page`);
  }
  const connected = [];
  for (const brand of brands) {
    assert.match(brand, /^[A-Z_]+$/);
    await page.goto(client.getAuthUrl(SCOPE, {forcePrompt: true,
      state: brand}));
    await page.click('#continue-button');
    await page.click(`.brand-list-item#${brand}`);
    await signInAndApprove(page, 'browser-owner@example.com');
    await page.waitForURL((u) => u.href.startsWith(`${REDIRECT_URI}?`));
    const back = new URL(page.url()).searchParams;
    assert.equal(back.get('state'), brand);
    assert.ok(back.get('code'), `${brand}: a code`);
    const access = await client.exchangeCode(back.get('code'));
    const {vehicles: ids} = await smartcar.getVehicles(access.accessToken);
    assert.ok(ids.length >= 1, `${brand}: vehicles`);
    let charged = 0;
    for (const id of ids) {
      const v = new smartcar.Vehicle(id, access.accessToken);
      const attrs = await v.attributes();
      assert.equal(attrs.make, brand);
      assert.equal(typeof attrs.model, 'string');
      assert.ok(Number.isInteger(attrs.year));
      let charge = null;
      try {
        charge = await v.charge();
      } catch (e) {
        // a petrol car: Smartcar's 501 for a capability it lacks
        assert.equal(e.statusCode, 501);
        assert.equal(e.type, 'COMPATIBILITY');
        assert.equal(e.code, 'VEHICLE_NOT_CAPABLE');
        continue;
      }
      if (!charge.isPluggedIn) { // an owner's base-fleet car may be unplugged
        const e = await v.startCharge().then(() => null, (err) => err);
        assert.equal(e && e.code, 'CHARGING_PLUG_NOT_CONNECTED');
        continue;
      }
      const started = await v.startCharge();
      assert.equal(started.status, 'success');
      assert.equal((await v.charge()).state, 'CHARGING');
      const battery = await v.battery();
      assert.ok(battery.percentRemaining > 0 && battery.percentRemaining <= 1);
      charged++;
    }
    assert.ok(charged >= 1, `${brand}: a vehicle that can charge`);
    connected.push({brand, token: access.accessToken, ids});
  }
  await page.close();

  // The official Python SDK reads the same vehicles with the same tokens.
  const python = process.env.SMARTCAR_COMPAT_PYTHON ||
    path.join(ROOT, 'build', 'compat-venv', 'bin', 'python');
  const script = `
import json, sys, smartcar
out = []
for c in json.load(sys.stdin):
    for vid in c["ids"]:
        v = smartcar.Vehicle(vid, c["token"])
        try:
            state = v.charge().state
        except smartcar.SmartcarException as e:
            state = e.code  # a petrol car: VEHICLE_NOT_CAPABLE
        out.append([c["brand"], v.attributes().make, len(v.vin().vin),
                    state])
print(json.dumps(out))`;
  const got = JSON.parse(execFileSync(python, ['-c', script], {
    input: JSON.stringify(connected),
    env: {...process.env, SMARTCAR_API_ORIGIN: BASE},
  }).toString());
  assert.equal(got.length,
    connected.reduce((n, c) => n + c.ids.length, 0));
  for (const [brand, make, vinLength, state] of got) {
    assert.equal(make, brand);
    assert.equal(vinLength, 17);
    assert.ok(['CHARGING', 'NOT_CHARGING', 'FULLY_CHARGED',
      'VEHICLE_NOT_CAPABLE'].includes(state), `${brand}: ${state}`);
  }
  for (const {brand} of connected) { // the Node SDK started a charge
    assert.ok(got.some(([b, , , state]) => b === brand &&
      state === 'CHARGING'), `${brand} charging for the Python SDK`);
  }
});

test('Connect works with the keyboard alone, every input labelled', async() => {
  const client = authClient();
  const page = await context.newPage();
  await page.bringToFront();
  // Chromium applies autofocus in a rendering step after the load event,
  // so wait for the focus to land (up to 10 s) before reading it.
  const focused = async() => {
    await page.waitForFunction(() => document.activeElement &&
      document.activeElement.id !== '', null, {timeout: 10000})
      .catch(() => {});
    return page.evaluate(() => document.activeElement.id);
  };
  await page.goto(client.getAuthUrl(SCOPE, {forcePrompt: true,
    state: 'keys'}));
  // each page focuses its first control, so Enter presses it
  assert.equal(await focused(), 'continue-button');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(await focused(), 'TESLA'); // the first brand
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(await focused(), 'username');
  assert.equal(await page.getByLabel('Email').getAttribute('id'), 'username');
  assert.equal(await page.getByLabel('Password').getAttribute('id'),
    'password');
  await page.keyboard.type('keys@example.com');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'password');
  await page.keyboard.type('any-password');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(await focused(), 'approval-button');
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${REDIRECT_URI}?`)),
    page.keyboard.press('Enter'), // Allow
  ]);
  const back = new URL(page.url()).searchParams;
  assert.equal(back.get('state'), 'keys');
  assert.match(back.get('code'), /^[0-9a-f]{32}$/);
  await page.close();
});

test('@smartcar/auth popup flow completes through the /v2/redirect stand-in', async() => {
  const redirect = `${BASE}/v2/redirect?app_origin=${APP}`;
  const page = await context.newPage();
  await page.goto(`${APP}/?make=KIA&redirect=${encodeURIComponent(redirect)}`);
  const [popup] = await Promise.all([
    context.waitForEvent('page'),
    page.click('#connect'),
  ]);
  await popup.waitForLoadState();
  await popup.click('#continue-button');
  await signInAndApprove(popup, 'spa-owner@example.com');
  await page.waitForFunction(() => window.done, null, {timeout: 60000});
  const done = await page.evaluate(() => window.done);
  assert.equal(done.error, null);
  assert.equal(done.state, 'spa-state');
  assert.match(done.code, /^[0-9a-f]{32}$/);
  // the popup closed itself
  await popup.waitForEvent('close', {timeout: 5000}).catch(() => {});
  assert.ok(popup.isClosed());
  // the backend exchanges the code with the same redirect_uri
  const access = await authClient({redirectUri: redirect})
    .exchangeCode(done.code);
  const {vehicles: ids} = await smartcar.getVehicles(access.accessToken);
  for (const id of ids) {
    const attrs = await new smartcar.Vehicle(id, access.accessToken)
      .attributes();
    assert.equal(attrs.make, 'KIA');
  }

  // Deny: onComplete gets the SDK's AccessDenied error, and no code.
  await page.evaluate(() => {
    window.done = null;
  });
  const [popup2] = await Promise.all([
    context.waitForEvent('page'),
    page.click('#connect'),
  ]);
  await popup2.waitForLoadState();
  await popup2.click('#continue-button');
  await popup2.fill('#username', 'spa-denier@example.com');
  await popup2.fill('#password', 'any-password');
  await popup2.click('#sign-in-button');
  await popup2.click('#deny-button');
  await page.waitForFunction(() => window.done, null, {timeout: 60000});
  const denied = await page.evaluate(() => window.done);
  assert.equal(denied.code, null);
  assert.match(denied.error, /^AccessDenied: User denied access/);
  await page.close();
});
