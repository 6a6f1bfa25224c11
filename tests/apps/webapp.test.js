// Server-side web app (examples/webapp): a person connects a car, sees it
// on the dashboard, locks and unlocks it, gets a webhook event, survives
// a restart of the app, and disconnects.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { AMT, Stack, approveInConnect, inBrowser, landingOffersConnect, screenshot, texts, toggleLocks } = require('./lib');

exports.label = 'web app';

// the management API's credentials (the emulator's default AMT)
const amtAuth = `Basic ${Buffer.from(`default:${AMT}`).toString('base64')}`;

exports.run = async (t) => {
  const stack = new Stack();
  stack.webhookId = crypto.randomUUID();
  await stack.start();
  await inBrowser(stack, async (page) => {
    await t.step('the landing page offers "Connect your car"', async () => {
      await landingOffersConnect(page, stack.url, '#connect', 'webapp-landing');
    });

    await t.step('the webhook endpoint answers the signed VERIFY challenge', async () => {
      const hook = await stack.control('POST', '/_emulator/webhooks', {
        webhook_id: stack.webhookId, name: 'apps test',
        callback_url: `${stack.url}webhooks/smartcar`.replace('localhost', '127.0.0.1'),
      });
      assert.equal(hook.verified, true, JSON.stringify(hook));
    });

    await t.step('an owner who denies access in Connect is back on the landing page, told so', async () => {
      await page.locator('#connect').click();
      await approveInConnect(page, { deny: true });
      await page.waitForURL(stack.url);
      assert.match(await page.locator('.notice').innerText(), /Connect did not finish: User denied access/);
    });

    await t.step('a callback that does not carry the state this browser was given is refused', async () => {
      await page.locator('#connect').click();
      await page.locator('#continue-button').waitFor(); // on Connect now
      const res = await page.goto(`${stack.url}callback?code=${'0'.repeat(32)}&state=forged`);
      assert.equal(res.status(), 400);
      assert.match(await page.locator('.error').innerText(), /state mismatch/);
      await page.goto(stack.url);
    });

    await t.step('Connect, then the dashboard lists the vehicles', async () => {
      await page.locator('#connect').click();
      await approveInConnect(page, { brand: 'TESLA' });
      await page.waitForURL('**/dashboard');
      const cars = page.locator('article.vehicle');
      assert.ok(await cars.count() >= 1, 'no vehicle on the dashboard');
      const car = cars.first();
      const name = (await car.locator('.name').innerText()).trim();
      assert.match(name, /^TESLA \S/);
      assert.match(await car.locator('.odometer').innerText(), /^[\d,]+ km$/);
      assert.match(await car.locator('.energy').innerText(), /^\d+%/);
      assert.match(await car.locator('.location').innerText(), /^-?\d+\.\d{4}, -?\d+\.\d{4}$/);
      assert.match(await car.locator('.lock-state').innerText(), /^(Locked|Unlocked)$/);
    });

    await t.step('Unlock and Lock change the displayed lock state', async () => {
      await toggleLocks(page, 'article.vehicle', { navigatesTo: '**/dashboard' });
    });

    await t.step('a signed webhook delivery shows on the dashboard; a forged one is refused', async () => {
      const out = await stack.control('POST', `/_emulator/webhooks/${stack.webhookId}/deliver`, {});
      assert.ok(out.deliveries.length >= 1, 'the connected cars are not subscribed');
      for (const d of out.deliveries) assert.equal(d.status, 200, JSON.stringify(d));
      await page.reload();
      assert.ok((await texts(page, '.event-type')).includes('VEHICLE_STATE'));
      await screenshot(page, 'webapp-dashboard');
      const forged = await fetch(`${stack.url}webhooks/smartcar`, {
        method: 'POST', body: out.deliveries[0].body,
        headers: { 'Content-Type': 'application/json', 'SC-Signature': '0'.repeat(64) },
      });
      assert.equal(forged.status, 401);
    });

    await t.step('"Connect another car": a second brand joins the first on the dashboard', async () => {
      const first = await texts(page, 'article.vehicle .name');
      await page.locator('#connect-more').click();
      await approveInConnect(page, { brand: 'TOYOTA', email: 'second-account@example.com' });
      await page.waitForURL('**/dashboard');
      const names = await texts(page, 'article.vehicle .name');
      assert.deepEqual(names.slice(0, first.length), first);
      assert.ok(names.length > first.length);
      for (const n of names.slice(first.length)) assert.match(n, /^TOYOTA \S/);
    });

    await t.step('after a restart of the app the user is still connected', async () => {
      const before = await texts(page, 'article.vehicle .name');
      await stack.restart();
      await page.goto(stack.url);
      await page.waitForURL('**/dashboard');
      assert.deepEqual(await texts(page, 'article.vehicle .name'), before);
    });

    await t.step('hours later, with the access tokens expired, the dashboard still works (the store refreshed each once)', async () => {
      const before = await texts(page, 'article.vehicle .name');
      await stack.control('DELETE', '/_emulator/requests');
      await stack.control('POST', '/_emulator/clock', { advance: 3 * 3600 });
      await page.reload();
      assert.deepEqual(await texts(page, 'article.vehicle .name'), before);
      const { requests } = await stack.control('GET', '/_emulator/requests');
      const refreshes = requests.filter((r) => r.path === '/oauth/token'
        && /grant_type=refresh_token/.test(r.body || ''));
      // one refresh per token set (one per Connect), however many cars
      assert.equal(refreshes.length, 2, JSON.stringify(requests.map((r) => [r.method, r.path, r.status])));
    });

    await t.step('a car whose access was revoked elsewhere is shown as ended, the others still work', async () => {
      const cars = page.locator('article.vehicle');
      const gone = await cars.last().getAttribute('data-vehicle-id');
      const res = await fetch(`${stack.emulator}/v2.0/management/connections?vehicle_id=${gone}`, {
        method: 'DELETE', headers: { Authorization: amtAuth },
      });
      assert.equal(res.status, 200);
      await page.reload();
      assert.match(await cars.last().locator('.car-error').innerText(), /Access to this car ended/);
      assert.equal(await cars.first().locator('.car-error').count(), 0);
      assert.match(await cars.first().locator('.odometer').innerText(), /^[\d,]+ km$/);
    });

    await t.step('Disconnect revokes access and returns to the landing page', async () => {
      await page.locator('#disconnect').click();
      await page.waitForURL(stack.url);
      assert.match(await page.locator('.notice').innerText(), /Disconnected/);
      await page.goto(`${stack.url}dashboard`);
      await page.waitForURL(stack.url);
      assert.equal(await page.locator('#connect').count(), 1);
      const res = await fetch(`${stack.emulator}/v2.0/management/connections`, {
        headers: { Authorization: amtAuth },
      });
      const conns = await res.json();
      assert.deepEqual(conns.connections, [], JSON.stringify(conns));
    });
  });
};
