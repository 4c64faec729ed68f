// Browser test of the dashboard's Telegram card, in headless Chromium
// against the real binaries: the webapp (development sign-in), notify-bot
// and the stand-in Bot API (telegram-standin), sharing one DATA_DIR as in
// production. Both link flows from the card, a wrong code, Unlink, and an
// alert reaching the linked chat. Screenshots: test-artifacts/webapp/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { System, browser, freePort, waitHealthy, ARTIFACTS, ROOT, devSignIn } from './harness.js';

const TOKEN = '1000000001:DEV-standin-token_not-a-secret-000000';
const BOT = 'alerts_e2e_bot';
const sys = new System();
let ctx, page, standinURL, botSocket;

// post sends a JSON body to the bot's unix socket, as notify-runner does.
function botPost(route, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const c = net.createConnection(botSocket, () => {
      c.write(`POST ${route} HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(data)}\r\nConnection: close\r\n\r\n${data}`);
    });
    let out = '';
    c.on('data', d => { out += d; });
    c.on('end', () => resolve(Number(out.split(' ')[1])));
    c.on('error', reject);
  });
}

// The stand-in's page is how a person types in the chat: the same form.
async function say(chat, text) {
  const r = await fetch(`${standinURL}/chat/${chat}/say`, { method: 'POST', redirect: 'manual',
    body: new URLSearchParams({ text }) });
  assert.equal(r.status, 303);
}

before(async () => {
  const bin = path.join(sys.dir, 'bin');
  for (const [out, pkg] of [['webapp', './webapp/cmd/webapp'], ['notify-bot', './webapp/cmd/notify-bot'],
    ['telegram-standin', './webapp/cmd/telegram-standin']]) {
    execFileSync('go', ['build', '-o', path.join(bin, out), pkg], { cwd: ROOT, stdio: 'inherit' });
  }
  const data = path.join(sys.dir, 'data');
  botSocket = path.join(sys.dir, 'bot.sock');
  const standinPort = await freePort();
  standinURL = `http://127.0.0.1:${standinPort}`;
  const standin = sys.start('telegram-standin', path.join(bin, 'telegram-standin'), {
    TELEGRAM_STANDIN_ADDR: `127.0.0.1:${standinPort}`, TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_STANDIN_BOT: BOT });
  await waitHealthy(standinURL + '/', standin, 'telegram-standin');
  const webPort = await freePort();
  sys.devURL = `http://127.0.0.1:${webPort}`;
  sys.start('notify-bot', path.join(bin, 'notify-bot'), {
    TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_URL: standinURL, NOTIFY_BOT_SOCKET: botSocket, DATA_DIR: data,
    WEBAPP_PUBLIC_URL: sys.devURL, NOTIFY_BOT_RATE_PER_CHAT: '20' });
  const web = sys.start('webapp', path.join(bin, 'webapp'), {
    DESKTOP_JWT_SECRET: sys.secret, WS_DISPATCH_SOCKET: sys.socket, WEBAPP_ADDR: `127.0.0.1:${webPort}`,
    AUTH_MODE: 'dev', DATA_DIR: data, NOTIFY_BOT_SOCKET: botSocket });
  await waitHealthy(sys.devURL + '/health', web, 'webapp');
  ctx = await browser(chromium, sys.dir);
  page = await ctx.newPage();
  page.on('pageerror', e => console.log('browser page error:', e.message));
  await devSignIn(page, sys);
});

after(async () => {
  if (ctx) await ctx.close();
  if (process.env.WEBAPP_E2E_LOGS) console.log(sys.logs());
  await sys.stop();
});

const shot = name => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });

test('the card links with the code /start gives, refuses a wrong one, and unlinks', async () => {
  assert.equal(await page.textContent('#tg-badge'), 'Not linked');
  assert.equal(await botPost('/send', { user: 'dev', text: 'before' }), 404);
  await say(5001, '/start');
  // The stand-in's chat page shows the bot's reply with the code.
  const chat = await ctx.newPage();
  await chat.goto(`${standinURL}/chat/5001`);
  const reply = await chat.locator('.m.bot').last().textContent();
  const code = /(\d{6})/.exec(reply)[1];
  await chat.screenshot({ path: path.join(ARTIFACTS, 'telegram-standin-code.png'), fullPage: true });
  await chat.close();

  await page.fill('#tg-code', code === '000000' ? '111111' : '000000');
  await page.click('#tg-verify button');
  await page.waitForFunction(() => /not valid/.test(document.querySelector('#tg-status').textContent));
  assert.equal(await page.textContent('#tg-badge'), 'Not linked');

  await page.fill('#tg-code', code);
  await page.click('#tg-verify button');
  await page.waitForFunction(() => document.querySelector('#tg-badge').textContent === 'Linked');
  assert.match(await page.textContent('#tg-since'), /since/);
  assert.ok(await page.isVisible('#tg-unlink'));
  await shot('telegram-card-linked.png');
  assert.equal(await botPost('/send', { user: 'dev', text: 'Revenue *down*' }), 200);

  // A reload shows the same state from the server.
  await page.reload();
  assert.equal(await page.textContent('#tg-badge'), 'Linked');
  await page.click('#tg-unlink');
  await page.waitForFunction(() => document.querySelector('#tg-badge').textContent === 'Not linked');
  assert.equal(await page.isVisible('#tg-unlink'), false);
  assert.equal(await botPost('/send', { user: 'dev', text: 'after' }), 404);
  await shot('telegram-card-unlinked.png');
});

test('Link opens the bot with a one-click code; pressing Start links the chat', async () => {
  await page.goto(sys.devURL + '/dashboard');
  const popup = page.waitForEvent('popup');
  await page.click('#tg-link');
  const href = await page.getAttribute('#tg-open', 'href');
  assert.ok(href.startsWith(`${standinURL}/${BOT}?start=`), href);
  // The popup is the stand-in standing for t.me: it says /start <code> in
  // the developer's private chat.
  const tg = await popup;
  await tg.waitForURL(/\/chat\/\d+$/);
  await tg.locator('.m.bot', { hasText: 'Linked' }).waitFor();
  await tg.screenshot({ path: path.join(ARTIFACTS, 'telegram-standin-linked.png'), fullPage: true });
  // The card notices on its own.
  await page.waitForFunction(() => document.querySelector('#tg-badge').textContent === 'Linked', null, { timeout: 15000 });
  assert.equal(await botPost('/send', { user: 'dev', text: 'one-click alert' }), 200);
  await tg.reload();
  await tg.locator('.m.bot', { hasText: 'one-click alert' }).waitFor();
  // The same link again (already used) links nothing and says so.
  await tg.goto(href);
  await tg.locator('.m.bot', { hasText: 'not valid' }).waitFor();
  await tg.close();
});
