// Runs the browser tests of the example apps (the three architectures
// and the OpenResty app); each step a person takes is one test.  Ends with "N passed, N failed".
'use strict';

const FILES = ['webapp', 'spa', 'mobile', 'demo', 'openresty', 'openresty-redis'];
const only = process.argv.slice(2);

// t.step(name, fn): runs fn unless an earlier step of the same scenario
// failed (a later step then counts as failed, not run: it depends on it).
function scenario(label, counts) {
  let broken = null;
  return {
    async step(name, fn) {
      if (broken) {
        counts.failed++;
        console.log(`not ok - ${label}: ${name} (not run: "${broken}" failed)`);
        return;
      }
      try {
        await fn();
        counts.passed++;
        console.log(`ok - ${label}: ${name}`);
      } catch (e) {
        broken = name;
        counts.failed++;
        console.log(`not ok - ${label}: ${name}\n  ${String(e && e.stack || e).split('\n').join('\n  ')}`);
      }
    },
  };
}

(async () => {
  const counts = { passed: 0, failed: 0 };
  for (const file of FILES) {
    if (only.length && !only.includes(file)) continue;
    const mod = require(`./${file}.test.js`);
    const t = scenario(mod.label, counts);
    try {
      await mod.run(t);
    } catch (e) {
      counts.failed++;
      console.log(`not ok - ${mod.label}: setup or teardown\n  ${e && e.stack || e}`);
    }
  }
  console.log(`${counts.passed} passed, ${counts.failed} failed`);
  process.exit(counts.failed ? 1 : 0);
})();
