// Browser test of the dashboard's Recent alerts card, in headless Chromium
// against the real gateway and webapp: the alerts come from the gateway's
// history with their state (the untrusted title shown as text), and
// Acknowledge acknowledges for the signed-in user, as the gateway then
// reports. Screenshots: test-artifacts/webapp/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { System, browser, ARTIFACTS, devSignIn } from './harness.js';

const sys = new System();
let ctx, page;

// gw calls the gateway's dispatch socket (as root: a trusted caller).
function gw(method, route, body) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : '';
    const req = http.request({ socketPath: sys.socket, method, path: route,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, res => {
      let out = '';
      res.on('data', d => { out += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(out) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

before(async () => {
  await sys.up();
  for (const [id, title] of [['a1', 'Revenue <b>drop</b><img src=x onerror=alert(1)>'], ['a2', 'Disk full']]) {
    const r = await gw('POST', '/dispatch', { user: 'dev', notification: { id, title, message: 'm ' + id, script: 'check' } });
    assert.equal(r.status, 200);
  }
  ctx = await browser(chromium, sys.dir);
  page = await ctx.newPage();
  page.on('dialog', d => { throw new Error(`unexpected dialog: ${d.message()}`); });
  page.on('pageerror', e => console.log('browser page error:', e.message));
  await devSignIn(page, sys);
});

after(async () => {
  if (ctx) await ctx.close();
  if (process.env.WEBAPP_E2E_LOGS) console.log(sys.logs());
  await sys.stop();
});

test('the dashboard lists recent alerts with their state and acknowledges one', async () => {
  const items = page.locator('#alerts-card li.alert');
  assert.equal(await items.count(), 2);
  // Newest first; the title is text, never markup.
  assert.equal(await items.nth(1).locator('.title').textContent(), 'Revenue <b>drop</b><img src=x onerror=alert(1)>');
  assert.equal(await page.locator('#alerts-card img').count(), 0);
  const a1 = page.locator('#alerts-card li.alert[data-id="a1"]');
  assert.equal(await a1.locator('.state').textContent(), 'Not acknowledged');
  await page.screenshot({ path: path.join(ARTIFACTS, 'alerts-before.png'), fullPage: true });

  await a1.locator('button.ack').click();
  await a1.locator('.status', { hasText: 'Acknowledged on every device.' }).waitFor();
  assert.match(await a1.locator('.state').textContent(), /^Acknowledged .* via web$/);
  assert.equal(await a1.locator('button.ack').count(), 0);
  await page.screenshot({ path: path.join(ARTIFACTS, 'alerts-acknowledged.png'), fullPage: true });

  // The gateway holds the acknowledgement, for dev, via web.
  const st = await gw('GET', '/notification?user=dev&id=a1');
  assert.equal(st.status, 200);
  assert.equal(st.body.acked_via, 'web');
  // The other alert is untouched, and a reload shows the stored state.
  assert.equal((await gw('GET', '/notification?user=dev&id=a2')).body.acked_at, null);
  await page.reload();
  const again = page.locator('#alerts-card li.alert[data-id="a1"]');
  assert.match(await again.locator('.state').textContent(), /^Acknowledged .* via web$/);
  assert.equal(await again.locator('button.ack').count(), 0);
  assert.equal(await page.locator('#alerts-card li.alert[data-id="a2"] button.ack').count(), 1);
});
