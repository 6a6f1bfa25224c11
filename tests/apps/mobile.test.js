// Mobile (examples/mobile): the app asks the back end to start Connect,
// the owner clicks through Connect in Chromium, the app catches the
// sc<client_id>://exchange redirect and forwards it; the back end checks
// the state it issued, exchanges and stores; the app's screen then lists
// the cars, locks and unlocks, survives a back-end restart, disconnects.
'use strict';

const assert = require('node:assert/strict');
const { CLIENT_ID, Stack, approveInConnect, inBrowser, screenshot, texts, toggleLocks } = require('./lib');
const { MobileApp } = require('../../examples/mobile/play_app');

exports.label = 'mobile';

async function refused(promise, status, error) {
  await assert.rejects(promise, (e) => e.status === status && e.body.error === error);
}

exports.run = async (t) => {
  const stack = await new Stack().start();
  await inBrowser(stack, async (page, browser) => { // page: the app's own screen
    await page.setViewportSize({ width: 390, height: 700 });
    const app = new MobileApp(stack.url);
    await t.step('the back end refuses a redirect without a session or with a state it did not issue', async () => {
      await refused(new MobileApp(stack.url).forward(`sc${CLIENT_ID}://exchange?code=x&state=y`),
        401, 'unauthenticated');
      const other = new MobileApp(stack.url);
      const start = await other.api('POST', '/api/mobile/connect');
      other.sessionToken = start.session_token;
      assert.match(start.auth_url, new RegExp(`redirect_uri=sc${CLIENT_ID}%3A%2F%2Fexchange`));
      await refused(other.forward(`sc${CLIENT_ID}://exchange?code=x&state=${start.state}x`),
        400, 'state_mismatch');
      // the issued state was used up by that attempt
      await refused(other.forward(`sc${CLIENT_ID}://exchange?code=x&state=${start.state}`),
        400, 'no_connect');
      const again = await other.api('POST', '/api/mobile/connect');
      await refused(other.forward(`sc${CLIENT_ID}://exchange?state=${again.state}`),
        400, 'bad_redirect');
    });

    await t.step('Connect in Chromium; the sc...://exchange redirect is caught and forwarded', async () => {
      const result = await app.connect(browser, (p) => approveInConnect(p, { brand: 'FORD' }));
      assert.ok(app.caughtUrl.startsWith(`sc${CLIENT_ID}://exchange?code=`), app.caughtUrl);
      assert.equal(result.connected, true);
      assert.ok(result.vehicles.length >= 1);
    });

    await t.step("the app's screen lists the vehicles", async () => {
      await app.show(page);
      const names = await texts(page, '.vehicle .name');
      assert.ok(names.length >= 1);
      for (const n of names) assert.match(n, /^FORD \S.* \d{4}$/);
      assert.match(await page.locator('.vehicle .odometer').first().innerText(), /^[\d,]+ km$/);
      await screenshot(page, 'mobile-app');
    });

    await t.step('Unlock and Lock change the displayed lock state', async () => {
      await toggleLocks(page, '.vehicle');
    });

    await t.step('after a restart of the back end the app is still connected', async () => {
      const before = await texts(page, '.vehicle .name');
      await stack.restart();
      await app.show(page);
      assert.deepEqual(await texts(page, '.vehicle .name'), before);
    });

    await t.step('Disconnect ends the connection', async () => {
      await page.locator('#disconnect').click();
      await page.locator('#not-connected').waitFor();
      const now = await app.api('GET', '/api/vehicles');
      assert.equal(now.connected, false);
    });
  });
};
