#!/usr/bin/env node
// Plays the part of a mobile app against the example back end
// (examples/webapp), the way an iOS or Android app would:
//
//  1. asks its back end to start Connect: POST /api/mobile/connect gives
//     the Connect URL (redirect_uri sc<client_id>://exchange), the state
//     the back end issued, and a session token for this app install;
//  2. opens Connect in a browser (Chromium here; an in-app browser tab on
//     a phone) and lets the owner click through;
//  3. catches the navigation to sc<client_id>://exchange?code=...&state=...
//     (on a phone the OS hands that URL to the app that registered the
//     scheme) and forwards it to POST /api/mobile/exchange, which checks
//     the state it issued, exchanges the code and stores the tokens;
//  4. shows the app's screen: the cars, lock/unlock, disconnect, all
//     through the back end's JSON API with the session token.
//
//   node examples/mobile/play_app.js http://localhost:PORT/
//
// opens a visible Chromium (it needs a display; under a server use
// xvfb-run) where you click through Connect.  The browser tests drive the
// same class headless (tests/apps/mobile.test.js).
'use strict';

const SCREEN_CSS = `body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f9;color:#1d2430}
header{background:#14213d;color:#fff;padding:14px 18px;font-weight:700}
main{padding:14px 18px}.vehicle{background:#fff;border-radius:12px;padding:14px 16px;margin:0 0 12px;box-shadow:0 1px 3px #0002}
h2{font-size:1.05rem;margin:0 0 6px}p{margin:4px 0}button{background:#2a6df4;color:#fff;border:0;border-radius:8px;padding:9px 16px;font-size:1rem;margin:8px 8px 0 0}
button:disabled{background:#b9c3d6}#disconnect{background:#c0392b}`;

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function vehicleCard(v) {
  const lock = v.locked === null ? '—' : (v.locked ? 'Locked' : 'Unlocked');
  const energy = v.energy
    ? `<p class="energy">${v.energy.kind === 'battery' ? 'Battery' : 'Fuel'} ${Math.round(v.energy.percent * 100)}%</p>`
    : '';
  return `<section class="vehicle" data-vehicle-id="${escapeHtml(v.id)}">
  <h2 class="name">${escapeHtml(v.error ? 'Vehicle' : `${v.make} ${v.model} ${v.year}`)}</h2>
  ${v.error ? `<p class="car-error">Access ended (${escapeHtml(v.error)}). Connect again.</p>` : ''}
  <p class="odometer">${v.odometer_km === null ? '—' : `${Math.round(v.odometer_km).toLocaleString('en')} km`}</p>
  ${energy}<p>Doors: <span class="lock-state">${lock}</span></p>
  <button class="lock" ${v.locked ? 'disabled' : ''} onclick="appAction('lock', '${escapeHtml(v.id)}')">Lock</button>
  <button class="unlock" ${v.locked === false ? 'disabled' : ''} onclick="appAction('unlock', '${escapeHtml(v.id)}')">Unlock</button>
</section>`;
}

class MobileApp {
  // backend: the back end's URL; sessionToken: kept from an earlier run
  // (an app keeps it in the phone's keychain).
  constructor(backend, sessionToken = null) {
    this.backend = backend.replace(/\/$/, '');
    this.sessionToken = sessionToken;
  }

  async api(method, route, body) {
    const headers = { 'Content-Type': 'application/json' };
    if (this.sessionToken) headers.Authorization = `Bearer ${this.sessionToken}`;
    const res = await fetch(this.backend + route, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json();
    if (!res.ok) {
      const err = new Error(`${method} ${route}: ${res.status} ${data.error}: ${data.message}`);
      err.status = res.status;
      err.body = data;
      throw err;
    }
    return data;
  }

  // Steps 1-3 in a new tab of the browser `context` (on a phone, the
  // in-app browser tab), closed once the redirect is caught.
  // `approve(page)` is the owner's part on Connect's pages (nothing for a
  // person at a visible browser).  Returns the back end's answer:
  // {connected, vehicles}.
  async connect(context, approve = async () => {}) {
    const start = await this.api('POST', '/api/mobile/connect');
    if (start.session_token) this.sessionToken = start.session_token;
    const scheme = new URL(start.auth_url).searchParams.get('redirect_uri');
    const tab = await context.newPage();
    try {
      const caught = tab.waitForRequest((r) => r.url().startsWith(scheme), { timeout: 0 });
      await tab.goto(start.auth_url);
      await approve(tab);
      this.caughtUrl = (await caught).url();
    } finally {
      await tab.close();
    }
    return this.forward(this.caughtUrl);
  }

  // What the app does when the OS opens it with the sc...:// URL.
  forward(url) {
    return this.api('POST', '/api/mobile/exchange', { url });
  }

  // Step 4: the app's screen, drawn in `page`.  Its buttons call back into
  // this object (as a native view calls native code), which calls the back
  // end and returns the screen's new content.
  async show(page) {
    if (!this.bridged) {
      await page.exposeFunction('appBridge', (action, id) => this.act(action, id));
      this.bridged = true;
    }
    await page.setContent(`<!doctype html><html><head><meta name="viewport" content="width=device-width">
<style>${SCREEN_CSS}</style><script>
async function appAction(action, id) {
  try {
    document.querySelector('main').innerHTML = await appBridge(action, id);
  } catch (e) {
    document.querySelector('main').insertAdjacentHTML('afterbegin',
      '<p id="app-error"></p>');
    document.getElementById('app-error').textContent = String(e.message || e);
  }
}</script></head><body><header>My Garage</header><main>${await this.screen()}</main></body></html>`);
  }

  async screen() {
    const { connected, vehicles } = await this.api('GET', '/api/vehicles');
    return connected
      ? vehicles.map(vehicleCard).join('\n')
        + '<button id="disconnect" onclick="appAction(\'disconnect\')">Disconnect</button>'
      : '<p id="not-connected">No car connected.</p>';
  }

  async act(action, id) {
    if (action === 'disconnect') await this.api('POST', '/api/disconnect');
    else await this.api('POST', `/api/vehicles/${encodeURIComponent(id)}/${action}`);
    return this.screen();
  }
}

module.exports = { MobileApp };

if (require.main === module) {
  (async () => {
    const backend = process.argv[2] || 'http://localhost:8000/';
    if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
      throw new Error('play_app.js opens a visible browser: run it on a desktop, or under xvfb-run');
    }
    const { chromium } = require('playwright-core');
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: false,
    });
    const context = await browser.newContext({ viewport: { width: 390, height: 760 } });
    const app = new MobileApp(backend);
    const result = await app.connect(context);
    const page = await context.newPage();
    console.log(`connected ${result.vehicles.length} vehicle(s):`);
    for (const v of result.vehicles) console.log(`  ${v.make} ${v.model} ${v.year}  ${v.id}`);
    await app.show(page);
    console.log('The app screen is open; close the browser to quit.');
    await new Promise((resolve) => browser.on('disconnected', resolve));
  })().catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
