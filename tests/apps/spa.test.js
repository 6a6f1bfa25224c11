// Single-page app (examples/spa): Connect opens in a popup through the
// official @smartcar/auth SDK, the emulator's stand-in for the SDK's
// hosted redirect page posts the code back to the page, which hands it to
// the back end; then the page lists the cars, locks and unlocks, survives
// a back-end restart and disconnects.
'use strict';

const assert = require('node:assert/strict');
const { Stack, approveInConnect, inBrowser, landingOffersConnect, screenshot, texts, toggleLocks } = require('./lib');

exports.label = 'single-page app';

exports.run = async (t) => {
  const stack = await new Stack().start();
  const spa = `${stack.url}spa/`;
  await inBrowser(stack, async (page, browser) => {
    await t.step('the page loads the SDK and offers "Connect your car"', async () => {
      await landingOffersConnect(page, spa, '#connect');
      assert.equal(await page.evaluate(() => typeof window.Smartcar), 'function');
    });

    await t.step('Connect in a popup; the code comes back through the redirect page and the cars show', async () => {
      const [popup] = await Promise.all([browser.waitForEvent('page'), page.locator('#connect').click()]);
      await screenshot(popup, 'spa-connect-popup');
      const closed = popup.waitForEvent('close');
      await approveInConnect(popup, { brand: 'TOYOTA' });
      await closed;
      await page.locator('article.vehicle').first().waitFor();
      const names = await texts(page, 'article.vehicle .name');
      for (const n of names) assert.match(n, /^TOYOTA \S/);
      assert.match(await page.locator('article.vehicle .odometer').first().innerText(), /^[\d,]+ km$/);
      assert.match(await page.locator('article.vehicle .location').first().innerText(), /^-?\d+\.\d{4}, -?\d+\.\d{4}$/);
      await screenshot(page, 'spa-dashboard');
    });

    await t.step('Unlock and Lock change the displayed lock state', async () => {
      await toggleLocks(page, 'article.vehicle');
    });

    await t.step('the API refuses a cookie-authenticated POST without the CSRF token', async () => {
      const status = await page.evaluate(() => fetch('/api/disconnect', { method: 'POST' }).then((r) => r.status));
      assert.equal(status, 403);
      await page.reload();
      await page.locator('article.vehicle').first().waitFor(); // still connected
    });

    await t.step('after a restart of the back end the page is still connected', async () => {
      const before = await texts(page, 'article.vehicle .name');
      await stack.restart();
      await page.reload();
      await page.locator('article.vehicle').first().waitFor();
      assert.deepEqual(await texts(page, 'article.vehicle .name'), before);
    });

    await t.step('Disconnect returns to "Connect your car"', async () => {
      await page.locator('#disconnect').click();
      await page.locator('#connect').waitFor();
      assert.match(await page.locator('#message').innerText(), /Disconnected/);
      await page.reload();
      await page.locator('#connect').waitFor();
      assert.equal(await page.locator('article.vehicle').count(), 0);
    });
  });
};
