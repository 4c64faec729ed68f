// Browser tests of the webapp in headless Chromium: development and OIDC
// sign-in, the desktop link page and its deep link, the dashboard's badge,
// Run and Unlink, a cross-origin form post from another origin, sign-in
// redirects that browsers would take off-site, and a DNS-rebinding page.
// Screenshots go to test-artifacts/webapp/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { System, verifyJWT, browser, ARTIFACTS } from './harness.js';

const sys = new System();
let devBrowser, page, token;

before(async () => {
  // The script takes a moment (so the progress state is observable) and
  // draws a small bar chart as a real PNG (plain zlib, no libraries).
  sys.script('dev', 'revenue_check.py', `import json, os, struct, time, zlib
time.sleep(0.5)
W, H, bars = 240, 90, [60, 72, 55, 80, 40, 30, 22]
def color(x, y):
    i = x * len(bars) // W
    inside = x % (W // len(bars)) > 4 and y >= H - bars[i]
    return (214, 48, 49) if inside and i >= 4 else (31, 111, 235) if inside else (255, 255, 255)
raw = b"".join(b"\\x00" + b"".join(bytes(color(x, y)) for x in range(W)) for y in range(H))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
path = os.path.join(os.environ["HOME"], "revenue.png")
with open(path, "wb") as f:
    f.write(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
print(json.dumps({"notify": True, "title": "Revenue <b>drop</b>", "message": "Down 12% vs last week <img src=x onerror=alert(1)>", "cooldown": "6h", "image_path": path}))
`);
  sys.script('dev', 'quiet_check.py', 'import json; print(json.dumps({"notify": False}))\n');
  await sys.up();
  devBrowser = await browser(chromium, sys.dir);
  page = await newTab();
});

// newTab opens a fresh tab. Chromium answers a navigation to an unknown
// scheme (the deep link) with an external-protocol prompt that belongs to
// the tab and, headless, silently swallows later clicks; so a test that
// follows a deep link continues in a new tab, as a person would.
async function newTab() {
  if (page) await page.close();
  const p = await devBrowser.newPage();
  p.on('dialog', d => { throw new Error(`unexpected dialog: ${d.message()}`); });
  p.on('pageerror', e => console.log('browser page error:', e.message));
  await p.setViewportSize({ width: 1200, height: 800 });
  return p;
}

after(async () => {
  if (devBrowser) await devBrowser.close();
  if (process.env.WEBAPP_E2E_LOGS) console.log(sys.logs());
  await sys.stop();
});

const shot = (name, p = page) => p.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });

async function authorizeOn(p, scheme = 'keboola-analyst') {
  const deepLink = p.waitForRequest(r => r.url().startsWith(`${scheme}://`), { timeout: 10000 });
  await p.click('#authorize');
  return (await deepLink).url();
}

test('dev sign-in, link page, Authorize opens the deep link with a valid token', async () => {
  await page.goto(sys.devURL + '/desktop/link');
  assert.match(page.url(), /\/auth\/dev\?next=%2Fdesktop%2Flink$/);
  assert.match(await page.textContent('.devbar'), /Development sign-in mode/);
  // The form offers the local user the examples were installed for.
  assert.equal(await page.inputValue('#email'), 'dev@example.com');
  await shot('dev-sign-in.png');
  await page.fill('#email', 'dev@example.com');
  await Promise.all([page.waitForURL(sys.devURL + '/desktop/link'), page.click('#dev-sign-in')]);
  assert.equal(await page.textContent('.user'), 'dev');
  await shot('link-page.png');

  const url = await authorizeOn(page);
  const u = new URL(url);
  assert.equal(u.protocol, 'keboola-analyst:');
  assert.equal(u.host, 'auth');
  token = u.searchParams.get('token');
  const claims = verifyJWT(token, sys.secret);
  assert.equal(claims.sub, 'dev');
  assert.equal(claims.iss, 'data-analyst');
  assert.equal(claims.exp - claims.iat, 30 * 24 * 3600);
  // The page keeps a manual link to the same URL.
  await page.waitForSelector('#manual-link', { state: 'visible' });
  assert.equal(await page.getAttribute('#manual-link', 'href'), url);
  await shot('link-page-authorized.png');
  page = await newTab();

  // The token works for the app's API.
  const r = await fetch(sys.devURL + '/api/desktop/scripts', { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  const list = await r.json();
  assert.deepEqual(list.map(s => s.name), ['quiet_check.py', 'revenue_check.py']);
});

test('dashboard shows Linked; Run shows progress then the result as text', async () => {
  await page.goto(sys.devURL + '/dashboard');
  assert.equal(await page.textContent('#link-badge'), 'Linked');
  assert.match(await page.textContent('#linked-since'), /since \d+ \w+ \d{4}/);

  const run = page.locator('button.run[data-name="revenue_check.py"]');
  const result = page.locator('#result-revenue_check');
  await run.click();
  await assert.doesNotReject(page.waitForFunction(() =>
    document.querySelector('button.run[data-name="revenue_check.py"]').textContent === 'Running…'));
  assert.equal(await run.isDisabled(), true);
  await page.waitForSelector('#result-revenue_check.ok', { timeout: 30000 });
  const text = await result.textContent();
  assert.match(text, /Revenue <b>drop<\/b>/, 'title shown as literal text');
  assert.match(text, /Down 12% vs last week <img src=x onerror=alert\(1\)>/);
  assert.equal(await result.locator('b, img:not(.chart)').count(), 0, 'no markup from script output');
  // The chart the script drew, served by the webapp to this session.
  const chart = result.locator('img.chart');
  await chart.waitFor();
  await page.waitForFunction(() => document.querySelector('#result-revenue_check img.chart').naturalWidth === 240);
  assert.match(text, /Sent to 0 desktop apps\./);
  assert.equal(await run.textContent(), 'Run');
  assert.equal(await page.textContent('tr[data-script="revenue_check.py"] .last-run'), 'just now');

  await page.locator('button.run[data-name="quiet_check.py"]').click();
  await page.waitForFunction(() => /no alert/.test(document.querySelector('#result-quiet_check').textContent));
  await shot('dashboard-linked-run.png');

  // Keyboard: the Run button is reachable and works with Enter.
  await page.focus('button.run[data-name="quiet_check.py"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('button.run[data-name="quiet_check.py"]').textContent === 'Run');
});

test('a cross-origin form post cannot unlink', async () => {
  // An attacker page on another origin of the same host (same-site, so the
  // Lax session cookie is sent): only the cross-origin check stops it.
  const evil = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<form id=f method=post action="${sys.devURL}/api/desktop/unlink"></form><script>document.getElementById('f').submit()</script>`);
  });
  await new Promise(r => evil.listen(0, '127.0.0.1', r));
  try {
    const resp = page.waitForResponse(r => r.url() === sys.devURL + '/api/desktop/unlink');
    await page.goto(`http://127.0.0.1:${evil.address().port}/`);
    assert.equal((await resp).status(), 403);
  } finally {
    evil.close();
  }
  await page.goto(sys.devURL + '/dashboard');
  assert.equal(await page.textContent('#link-badge'), 'Linked');
});

test('Unlink flips the badge and the old token stops working', async () => {
  await page.goto(sys.devURL + '/dashboard');
  await page.click('#unlink');
  await page.waitForFunction(() => document.querySelector('#link-badge').textContent === 'Not linked');
  assert.match(await page.textContent('#unlink-status'), /unlinked/i);
  await shot('dashboard-unlinked.png');
  await page.reload();
  assert.equal(await page.textContent('#link-badge'), 'Not linked');
  assert.equal(await page.locator('#unlink').count(), 0);

  const r = await fetch(sys.devURL + '/api/desktop/refresh', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 401);
  assert.equal((await r.json()).code, 'token_revoked');

  // Authorizing again works at once and links again.
  await page.goto(sys.devURL + '/desktop/link');
  const fresh = new URL(await authorizeOn(page)).searchParams.get('token');
  assert.equal(verifyJWT(fresh, sys.secret).sub, 'dev');
  const ok = await fetch(sys.devURL + '/api/desktop/refresh', { method: 'POST', headers: { Authorization: `Bearer ${fresh}` } });
  assert.equal(ok.status, 200);
});

test('OIDC sign-in through a local provider, then Authorize', async () => {
  const ctx = await browser(chromium, sys.dir);
  try {
    const p = ctx.pages()[0] || await ctx.newPage();
    // The app opens the page with its one-time value; it survives the
    // provider's round trip and comes back in the deep link.
    const state = 'AppOneTimeValue_0123456789-abc';
    await p.goto(sys.oidcURL + '/desktop/link?state=' + state);
    assert.equal(new URL(p.url()).pathname, '/desktop/link', 'back on the link page after the provider');
    assert.equal(new URL(p.url()).searchParams.get('state'), state, 'the state survives the sign-in');
    assert.equal(await p.textContent('.user'), 'jane.doe');
    assert.equal(await p.locator('.devbar').count(), 0, 'no development banner in OIDC mode');
    await shot('oidc-link-page.png', p);
    const link = new URL(await authorizeOn(p));
    assert.equal(link.searchParams.get('state'), state);
    const claims = verifyJWT(link.searchParams.get('token'), sys.secret);
    assert.equal(claims.sub, 'jane.doe');
    await p.goto(sys.oidcURL + '/dashboard');
    assert.equal(await p.textContent('#link-badge'), 'Linked');
    await p.setViewportSize({ width: 390, height: 844 });
    await shot('oidc-dashboard-phone.png', p);
  } finally {
    await ctx.close();
  }
});

// A server standing for another site: it records every request it gets.
async function otherSite() {
  const hits = [];
  const srv = http.createServer((req, res) => { hits.push(req.url); res.end('other site'); });
  await new Promise(r => srv.listen(0, '127.0.0.1', r));
  return { hits, port: srv.address().port, close: () => srv.close() };
}

test('a user without scripts is told the real folder to put them in', async () => {
  const ctx = await browser(chromium, sys.dir);
  try {
    const p = ctx.pages()[0] || await ctx.newPage();
    await p.setViewportSize({ width: 1200, height: 800 });
    await p.goto(sys.devURL + '/auth/dev?next=%2Fdashboard');
    await p.fill('#email', 'anna@example.com');
    await Promise.all([p.waitForURL(sys.devURL + '/dashboard'), p.click('#dev-sign-in')]);
    assert.equal(await p.textContent('#scripts-dir'), path.join(sys.homeRoot, 'anna', 'user', 'notifications') + '/');
    await shot('dashboard-no-scripts.png', p);
  } finally {
    await ctx.close();
  }
});

test('sign-in redirects never leave the site, however next= is spelled', async () => {
  // Chromium drops tabs and newlines from a URL and reads "\\" as "/", so
  // each of these would be //127.0.0.1:<other>/stolen, another site.
  const other = await otherSite();
  const host = `127.0.0.1:${other.port}`;
  const nexts = [`/\t/${host}/stolen`, `/\n/${host}/stolen`, `/\\${host}/stolen`, `\\/${host}/stolen`, `//${host}/stolen`];
  const ctx = await browser(chromium, sys.dir);
  try {
    const p = ctx.pages()[0] || await ctx.newPage();
    for (const next of nexts) {
      // Development sign-in: the login link, then the form.
      await ctx.clearCookies();
      await p.goto(`${sys.devURL}/auth/login?next=${encodeURIComponent(next)}`);
      await p.fill('#email', 'dev@example.com');
      await Promise.all([p.waitForURL(u => !u.pathname.startsWith('/auth/')), p.click('#dev-sign-in')]);
      assert.equal(p.url(), sys.devURL + '/dashboard', `dev sign-in with next=${JSON.stringify(next)}`);
      // OIDC: login, the provider, the callback with next in the flow cookie.
      await ctx.clearCookies();
      await p.goto(`${sys.oidcURL}/auth/login?next=${encodeURIComponent(next)}`);
      assert.equal(p.url(), sys.oidcURL + '/dashboard', `OIDC sign-in with next=${JSON.stringify(next)}`);
    }
    assert.deepEqual(other.hits, [], 'the other site was reached');
  } finally {
    await ctx.close();
    other.close();
  }
});

test('a DNS-rebinding page cannot use the development portal', async () => {
  // The browser resolves evil.example to 127.0.0.1, as a rebinding
  // attacker's DNS would: the page and the portal are then the same origin
  // for it, and only the Host header tells them apart.
  const ctx = await browser(chromium, sys.dir, ['--host-resolver-rules=MAP evil.example 127.0.0.1']);
  try {
    const p = ctx.pages()[0] || await ctx.newPage();
    const port = new URL(sys.devURL).port;
    const resp = await p.goto(`http://evil.example:${port}/auth/dev`);
    assert.equal(resp.status(), 421);
    assert.match(await p.textContent('body'), new RegExp(`answers only at ${sys.devURL}`));
    await shot('rebinding-refused.png', p);
    // The attacker's script posts the sign-in form same-origin: refused, no session.
    const status = await p.evaluate(async () => (await fetch('/auth/dev/login', {
      method: 'POST', body: new URLSearchParams({ email: 'dev@example.com', next: '/dashboard' }), redirect: 'manual',
    })).status);
    assert.equal(status, 421);
    assert.deepEqual((await ctx.cookies()).filter(c => c.name === 'aa_session'), []);
    // The real address still works in the same browser.
    assert.equal((await p.goto(`${sys.devURL}/auth/dev`)).status(), 200);
  } finally {
    await ctx.close();
  }
});
