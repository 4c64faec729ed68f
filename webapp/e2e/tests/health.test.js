// The dashboard shows a failing script at a glance (docs/health.md): the
// state comes from real notify-runner passes over a script that fails,
// the page from the real webapp and notify-scripts. Screenshot:
// test-artifacts/webapp/dashboard-health.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { System, browser, ARTIFACTS, ROOT, devSignIn } from './harness.js';

const sys = new System();
let b, page;

before(async () => {
  sys.script('dev', 'orders_sync.py', `import sys
sys.stderr.write("Traceback (most recent call last):\\n  File \\"orders_sync.py\\", line 3\\nKeyError: 'orders' <img src=x onerror=alert(1)>\\n")
sys.exit(1)
`);
  sys.script('dev', 'revenue_check.py', 'import json; print(json.dumps({"notify": False}))\n');
  await sys.up();
  const runner = path.join(sys.dir, 'bin', 'notify-runner');
  execFileSync('go', ['build', '-o', runner, './webapp/cmd/notify-runner'], { cwd: ROOT, stdio: 'inherit' });
  // Three passes, as cron would run them: the third makes it failing.
  for (let i = 0; i < 3; i++) {
    execFileSync(runner, [], { env: { PATH: process.env.PATH, HOME: path.join(sys.homeRoot, 'dev'), NOTIFY_USER: 'dev',
      WS_DISPATCH_SOCKET: sys.socket, NOTIFY_BOT_SOCKET: path.join(sys.dir, 'no-bot.sock'),
      NOTIFICATION_IMAGES_DIR: path.join(sys.dir, 'images') } });
  }
  b = await browser(chromium, sys.dir);
  page = await b.newPage();
  page.on('dialog', d => { throw new Error(`unexpected dialog: ${d.message()}`); });
});

after(async () => {
  if (b) await b.close();
  await sys.stop();
});

test('a failing script is marked on the dashboard; its last error opens on demand, as text', async () => {
  await devSignIn(page, sys);
  const failing = page.locator('td.script-name', { hasText: 'orders_sync' });
  assert.equal(await failing.locator('.health').getAttribute('aria-label'), 'Failing');
  assert.equal(await failing.locator('.health').getAttribute('class'), 'health bad');
  assert.match(await failing.locator('.health-line').textContent(), /^Failing: 3 runs without a good one, last exit 1$/);
  const ok = page.locator('td.script-name', { hasText: 'revenue_check' });
  assert.equal(await ok.locator('.health').getAttribute('aria-label'), 'Working');
  const pre = failing.locator('details.last-error pre');
  assert.equal(await pre.isVisible(), false);
  await failing.locator('details.last-error summary').click();
  await pre.waitFor();
  assert.match(await pre.textContent(), /KeyError: 'orders' <img src=x onerror=alert\(1\)>$/);
  assert.equal(await page.locator('td img').count(), 0, 'no markup from stderr');
  await page.locator('#scripts-h').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-health.png'), fullPage: true });
});
