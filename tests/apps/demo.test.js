// `bash scripts/demo.sh --web`: it starts the back end with a private
// emulator whose redirect URIs are the app's, prints the URL, serves a
// whole Connect, and stops both on SIGTERM.
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { ROOT, approveInConnect, launchBrowser, stop, texts } = require('./lib');

exports.label = 'demo.sh --web';

// Waits for lines of a child's stdout: next(re) resolves with the match of
// the first line from now on that matches `re`.
function lineReader(child) {
  const lines = [];
  let waiter = null;
  const check = () => {
    while (waiter && lines.length) {
      const m = lines.shift().match(waiter.re);
      if (m) {
        waiter.resolve(m);
        waiter = null;
      }
    }
  };
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    check();
  });
  child.once('exit', (code) => waiter && waiter.reject(new Error(`demo.sh exited (${code})`)));
  return {
    next(re) {
      return new Promise((resolve, reject) => {
        waiter = { re, resolve, reject };
        check();
      });
    },
  };
}

exports.run = async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-apps-demo-'));
  const demo = spawn('bash', [path.join(ROOT, 'scripts', 'demo.sh'), '--web'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEBAPP_DB: path.join(dir, 'demo.db') },
  });
  demo.stderr.resume(); // build output and request logs: not needed
  const out = lineReader(demo);
  const browser = await launchBrowser();
  try {
    let url;
    let emulator;
    await t.step('it prints the URL and its emulator, whose webhook reached the app', async () => {
      [, url] = await out.next(/^(http:\/\/localhost:\d+\/)$/);
      [, emulator] = await out.next(/^smartcar-emulator at (\S+) \(webhook verified: True\)$/);
    });

    await t.step('a person connects a car there and sees it', async () => {
      const page = await browser.newPage();
      await page.goto(url);
      await page.locator('#connect').click();
      await approveInConnect(page, { brand: 'FORD' });
      await page.waitForURL('**/dashboard');
      assert.ok((await texts(page, 'article.vehicle .name')).length >= 1);
    });

    await t.step('SIGTERM stops the app and its emulator', async () => {
      const code = await new Promise((resolve) => {
        demo.once('exit', (c) => resolve(c));
        demo.kill('SIGTERM');
      });
      assert.equal(code, 0);
      await assert.rejects(fetch(`${emulator}/_emulator/health`));
    });
  } finally {
    await browser.close();
    await stop(demo);
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
