// OpenResty (examples/openresty, "My Garage" in nginx + smartcar.resty):
// callbacks without the state this browser was given are refused; an
// owner logs in through Connect and lands on the vehicles page, which
// shows the emulator's real odometer and battery values; log out.
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const {
  ROOT, Stack, approveInConnect, firstLine, inBrowser, landingOffersConnect, screenshot, texts, track,
} = require('./lib');

exports.label = 'openresty';

// The same emulator as the other apps, with the nginx app in place of
// the Flask back end (examples/openresty/run.sh prints its URL first).
class RestyStack extends Stack {
  constructor(args) {
    super();
    this.args = args;
  }

  async startApp() {
    this.appLog = fs.openSync(path.join(this.dir, 'app.log'), 'a');
    this.app = track(spawn('bash', [
      path.join(ROOT, 'examples', 'openresty', 'run.sh'),
      '--port', String(this.port), '--emulator-url', this.emulator,
      ...this.args,
    ], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, APP_PREFIX: path.join(this.dir, 'nginx') },
    }));
    this.app.stderr.on('data', (d) => fs.writeSync(this.appLog, d));
    this.url = await firstLine(this.app, 'examples/openresty/run.sh');
  }
}

// args: more examples/openresty/run.sh arguments (--redis).
const runWith = async (t, args) => {
  const stack = await new RestyStack(args).start();
  await inBrowser(stack, async (page, browser) => {
    await t.step('the landing page offers "Connect your car"', async () => {
      await landingOffersConnect(page, stack.url, '#login', 'openresty-landing');
    });

    await t.step('a callback in a browser that was given no state is refused', async () => {
      const res = await page.goto(`${stack.url}callback?code=${'0'.repeat(32)}&state=${'s'.repeat(32)}`);
      assert.equal(res.status(), 400);
      assert.match(await page.locator('#error').innerText(), /state_mismatch/);
    });

    await t.step('a callback whose state was tampered with is refused, and the code is not used', async () => {
      await page.goto(stack.url);
      await page.locator('#login').click();
      await page.locator('#continue-button').waitFor(); // on Connect now
      const state = new URL(page.url()).searchParams.get('state');
      assert.ok(state && state.length >= 16, `Connect URL without a state: ${page.url()}`);
      const before = await stack.control('GET', '/_emulator/requests');
      const tampered = state.slice(0, -1) + (state.endsWith('A') ? 'B' : 'A');
      const res = await page.goto(`${stack.url}callback?code=${'0'.repeat(32)}&state=${encodeURIComponent(tampered)}`);
      assert.equal(res.status(), 400);
      assert.match(await page.locator('#error').innerText(), /state_mismatch/);
      const after = await stack.control('GET', '/_emulator/requests');
      const tokenCalls = (log) => log.requests.filter((r) => r.path.endsWith('/oauth/token')).length;
      assert.equal(tokenCalls(after), tokenCalls(before), 'a code was exchanged');
    });

    let car;
    await t.step('log in through Connect; the vehicles page lists the cars', async () => {
      await page.goto(stack.url);
      await page.locator('#login').click();
      await approveInConnect(page, { brand: 'TESLA', email: 'resty-owner@example.com' });
      await page.waitForURL('**/vehicles');
      const cars = page.locator('article.vehicle');
      assert.ok(await cars.count() >= 1, 'no vehicle listed');
      car = cars.first();
      assert.match((await car.locator('.name').innerText()).trim(), /^TESLA \S.* \d{4}$/);
      assert.match(await car.locator('.odometer').innerText(), /^[\d,]+ km$/);
      assert.match(await car.locator('.battery').innerText(), /^\d+%$/);
      await screenshot(page, 'openresty-vehicles');
    });

    await t.step("the page shows the vehicle's real odometer and battery", async () => {
      const id = await car.getAttribute('data-id');
      const { vehicles } = await stack.control('GET', '/_emulator/vehicles?email=resty-owner@example.com');
      assert.ok(vehicles.some((v) => v.id === id), `${id} is not the owner's`);
      await stack.control('POST', `/_emulator/vehicles/${id}`, { odometer_km: 23456.7, percent_remaining: 0.42 });
      await page.reload();
      car = page.locator(`article.vehicle[data-id="${id}"]`);
      assert.equal((await car.locator('.odometer').innerText()).trim(), '23,457 km');
      assert.equal((await car.locator('.battery').innerText()).trim(), '42%');
      await stack.control('POST', `/_emulator/vehicles/${id}`, { odometer_km: 23500, percent_remaining: 0.9 });
      await page.reload();
      assert.equal((await car.locator('.odometer').innerText()).trim(), '23,500 km');
      assert.equal((await car.locator('.battery').innerText()).trim(), '90%');
    });

    await t.step('two hours later the access token has expired: the stored set is refreshed once', async () => {
      const tokenCalls = async () => (await stack.control('GET', '/_emulator/requests'))
        .requests.filter((r) => r.method === 'POST' && r.path.endsWith('/oauth/token')).length;
      const before = await tokenCalls();
      await stack.control('POST', '/_emulator/clock', { advance: 7200 });
      await page.reload();
      assert.ok(await page.locator('article.vehicle').count() >= 1, 'no vehicle after the refresh');
      assert.match(await page.locator('article.vehicle .odometer').first().innerText(), /^[\d,]+ km$/);
      assert.equal(await tokenCalls(), before + 1, 'not exactly one refresh');
      await page.reload(); // the refreshed set was saved: no other refresh
      assert.equal(await tokenCalls(), before + 1);
    });

    await t.step('the session cookie and the state cookie are HttpOnly', async () => {
      const cookies = await browser.cookies(stack.url);
      const session = cookies.find((c) => c.name === 'garage_session');
      assert.ok(session && session.httpOnly, JSON.stringify(cookies));
      for (const c of cookies) assert.ok(c.httpOnly, `${c.name} is not HttpOnly`);
    });

    await t.step('Log out returns to the landing page; /vehicles then sends there too', async () => {
      await page.locator('#logout').click();
      await page.waitForURL(stack.url);
      await page.locator('#login').waitFor();
      await page.goto(`${stack.url}vehicles`);
      await page.waitForURL(stack.url);
      assert.deepEqual(await texts(page, '#login'), ['Connect your car']);
    });
  });
};

exports.run = (t) => runWith(t, []);
exports.runWith = runWith;
