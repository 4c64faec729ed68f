// Browser test of the dashboard's snooze buttons and Quiet hours card, in
// headless Chromium against the real binaries (webapp in development
// sign-in, the real notify-scripts helper, ws-gateway): what the page sets
// lands in the user's own settings file, refusals are shown as text and
// change nothing. Screenshots: test-artifacts/webapp/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { System, browser, ARTIFACTS, devSignIn } from './harness.js';

const sys = new System();
let ctx, page;
const settingsFile = () => path.join(sys.homeRoot, 'dev', '.notifications', 'settings.json');
const settings = () => (fs.existsSync(settingsFile()) ? JSON.parse(fs.readFileSync(settingsFile(), 'utf8')) : {});

before(async () => {
  sys.script('dev', 'revenue_check.py', 'import json; print(json.dumps({"notify": False}))\n');
  await sys.up();
  ctx = await browser(chromium, sys.dir);
  page = await ctx.newPage();
  page.on('dialog', d => { throw new Error(`unexpected dialog: ${d.message()}`); });
  page.on('pageerror', e => console.log('browser page error:', e.message));
  await page.setViewportSize({ width: 1200, height: 900 });
  await devSignIn(page, sys);
  await page.waitForFunction(() => document.documentElement.getAttribute('data-quiet-ready') === '1');
});

after(async () => {
  if (ctx) await ctx.close();
  if (process.env.WEBAPP_E2E_LOGS) console.log(sys.logs());
  await sys.stop();
});

const shot = name => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });

test('Snooze 1 h holds the script back for an hour; Unsnooze ends it', async () => {
  const cell = 'td.snooze[data-name="revenue_check.py"]';
  await page.click(`${cell} .snooze-btn`);
  await page.waitForFunction(c => /^until /.test(document.querySelector(`${c} .snoozed-until`).textContent), cell);
  const until = Date.parse(settings().snoozed.revenue_check);
  assert.ok(until > Date.now() + 59 * 60e3 && until < Date.now() + 61 * 60e3, `snoozed until ${settings().snoozed.revenue_check}`);
  assert.equal(await page.isVisible(`${cell} .snooze-btn`), false);
  await shot('dashboard-snoozed.png');
  // The page after a reload says the same, from the helper.
  await page.reload();
  assert.match(await page.textContent(`${cell} .snoozed-until`), /^until \d+ \w+ \d{4}/);
  await page.click(`${cell} .unsnooze-btn`);
  await page.waitForFunction(c => document.querySelector(`${c} .snoozed-until`).textContent === '', cell);
  assert.deepEqual(settings().snoozed ?? {}, {});
});

test('Quiet hours: a bad zone and a zero-length window are refused as text; a good one is saved and turned off', async () => {
  const hostile = '<img src=x onerror="window.__pwned=1">';
  await page.fill('#quiet-start', '22:00');
  await page.fill('#quiet-end', '07:00');
  await page.fill('#quiet-tz', hostile);
  await page.click('#quiet-form button[type=submit]');
  await page.waitForFunction(() => /^Not saved: /.test(document.querySelector('#quiet-status').textContent));
  assert.match(await page.textContent('#quiet-status'), /does not exist/);
  assert.equal(await page.locator('#quiet-card img').count(), 0, 'the refusal is text');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(settings().quiet, undefined);

  await page.fill('#quiet-tz', 'Europe/Prague');
  await page.fill('#quiet-end', '22:00');
  await page.click('#quiet-form button[type=submit]');
  await page.waitForFunction(() => /zero length/.test(document.querySelector('#quiet-status').textContent));
  assert.equal(settings().quiet, undefined);

  await page.fill('#quiet-end', '07:00');
  await page.click('#quiet-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#quiet-status').textContent === 'Saved.');
  assert.equal(await page.textContent('#quiet-now'), 'Quiet every day from 22:00 to 07:00 (Europe/Prague).');
  assert.deepEqual(settings().quiet, { start: '22:00', end: '07:00', tz: 'Europe/Prague' });
  await shot('dashboard-quiet-hours.png');

  await page.reload();
  assert.equal(await page.textContent('#quiet-now'), 'Quiet every day from 22:00 to 07:00 (Europe/Prague).');
  await page.click('#quiet-off');
  await page.waitForFunction(() => document.querySelector('#quiet-now').textContent === 'No quiet hours set.');
  assert.equal(settings().quiet, undefined);
});
