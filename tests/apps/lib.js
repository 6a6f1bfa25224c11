// Shared pieces of the browser tests: an emulator, the example back end
// (restartable, same port and database), headless Chromium from Debian,
// and a person's walk through the emulator's Connect pages.
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const CLIENT_ID = '8229df9f-91a0-4ff0-a1ae-a1f38ee24d07';
const AMT = 'emulator-management-token';
const SHOTS = process.env.APP_TEST_SCREENSHOTS || path.join(ROOT, 'build', 'app-screenshots');

// The first stdout line of a child process (a URL), or an error with its
// stderr when it exits first.
function firstLine(child, what) {
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', (line) => resolve(line.trim()));
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}): ${err.slice(-2000)}`)));
  });
}

// Every child still running when the test process exits is killed, even
// after an uncaught error.
const children = new Set();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function stop(child) {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

// A port the kernel had free a moment ago (the app must know it before the
// emulator starts, because the emulator registers the app's redirect URIs).
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// One emulator plus the example back end on one port, with its database in
// a fresh directory.  restart() stops the app and starts it again on the
// same port and database, as a deploy would; the emulator keeps running.
class Stack {
  async start() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-apps-'));
    for (let attempt = 0; ; attempt++) {
      this.port = await freePort();
      this.origin = `http://localhost:${this.port}`;
      await this.startEmulator();
      try {
        await this.startApp();
        return this;
      } catch (e) {
        await stop(this.emu);
        if (attempt >= 2) throw e;
      }
    }
  }

  async startEmulator() {
    const origin = this.origin;
    this.emu = track(spawn(path.join(ROOT, 'build', 'smartcar-emulator'), [
      '--port', '0', '--seed', '42',
      '--redirect-uri', `${origin}/callback`,
      '--redirect-uri', `https://javascript-sdk.smartcar.com/v2/redirect?app_origin=${origin}`,
      '--redirect-uri', `sc${CLIENT_ID}://exchange`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.emulator = await firstLine(this.emu, 'smartcar-emulator');
  }

  async startApp() {
    this.appLog = fs.openSync(path.join(this.dir, 'app.log'), 'a');
    this.app = track(spawn(path.join(ROOT, '.venv', 'bin', 'python'), [
      path.join(ROOT, 'examples', 'webapp', 'run.py'),
      '--port', String(this.port), '--emulator-url', this.emulator,
    ], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WEBAPP_DB: path.join(this.dir, 'app.db'),
             SMARTCAR_WEBHOOK_ID: this.webhookId || '' },
    }));
    this.app.stderr.on('data', (d) => fs.writeSync(this.appLog, d));
    this.url = await firstLine(this.app, 'examples/webapp/run.py');
  }

  async restart() {
    await stop(this.app);
    await this.startApp();
  }

  // The emulator's control API (docs/emulator.md).
  async control(method, route, body) {
    const res = await fetch(this.emulator + route, {
      method, headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(data)}`);
    return data;
  }

  async close() {
    await stop(this.app);
    await stop(this.emu);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Headless Chromium from Debian with a fresh profile; a browser context
// (close() ends the browser and removes the profile).
async function launchBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-apps-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 960, height: 640 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-dev-shm-usage',
           '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  };
  return context;
}

// What a vehicle owner does on Connect's pages, found by the element ids
// of Smartcar's own Connect: the preamble's Continue, a brand, sign in,
// approve (or deny).  `page` is on the first Connect page.
async function approveInConnect(page, { brand = 'TESLA', email = 'owner@example.com', deny = false } = {}) {
  await page.locator('#continue-button').click();
  await page.locator(`.brand-list-item#${brand}`).click();
  await page.locator('#username').fill(email);
  await page.locator('#password').fill('any-password');
  await page.locator('#sign-in-button').click();
  await page.locator(deny ? '#deny-button' : '#approval-button').click();
}

// A screenshot for docs/architectures.md, once the page has loaded.  A
// page just opened (Connect's popup) may not have a frame to capture
// yet: Chromium then answers "Unable to capture screenshot", so it is
// tried again a few times before that fails the step.
async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.waitForLoadState('load');
  for (let attempt = 1; ; attempt++) {
    try {
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
      return;
    } catch (e) {
      if (attempt >= 5 || !/Unable to capture screenshot/.test(String(e))) throw e;
      await page.waitForTimeout(200 * attempt);
    }
  }
}

// The text of every element matching `selector`, trimmed.
async function texts(page, selector) {
  return (await page.locator(selector).allInnerTexts()).map((t) => t.trim());
}

// Runs body(page, browser) on a new page of a fresh headless Chromium;
// closes the browser and then `stack` (a started Stack) however it ends.
async function inBrowser(stack, body) {
  try {
    const browser = await launchBrowser();
    try {
      return await body(await browser.newPage(), browser);
    } finally {
      await browser.close();
    }
  } finally {
    await stack.close();
  }
}

// The page at url offers "Connect your car" on the button at `button`
// (a screenshot named `shot` when given).
async function landingOffersConnect(page, url, button, shot) {
  await page.goto(url);
  await page.locator(button).waitFor();
  assert.equal((await page.locator(button).innerText()).trim(), 'Connect your car');
  if (shot) await screenshot(page, shot);
}

// Clicks Unlock, Lock, Unlock on the first vehicle matching `card` and
// checks that its .lock-state shows each new state; a click whose state
// is shown already is skipped (its button is disabled then).  A page
// that answers the click by loading `navigatesTo` (a URL glob) is
// checked once loaded, else the state is awaited in place.
async function toggleLocks(page, card, { navigatesTo } = {}) {
  for (const [button, shown] of [['unlock', 'Unlocked'], ['lock', 'Locked'], ['unlock', 'Unlocked']]) {
    const car = page.locator(card).first();
    if ((await car.locator('.lock-state').innerText()).trim() === shown) continue;
    await car.locator(`button.${button}`).click();
    if (navigatesTo) {
      await page.waitForURL(navigatesTo);
      assert.equal((await page.locator(card).first().locator('.lock-state').innerText()).trim(), shown);
    } else {
      await page.waitForFunction(
        ([sel, want]) => document.querySelector(`${sel} .lock-state`)?.textContent === want, [card, shown]);
    }
  }
}

module.exports = {
  AMT, CLIENT_ID, ROOT, Stack, approveInConnect, firstLine, inBrowser, landingOffersConnect, launchBrowser, screenshot,
  stop, texts, toggleLocks, track,
};
