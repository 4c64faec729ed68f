// Starts the real system for the browser tests: ws-gateway, the webapp in
// development sign-in mode, a local OpenID provider (mockoidc) and a second
// webapp signing in through it. Everything binds to 127.0.0.1 and lives in
// a temporary folder; stop() ends every process it started.
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'webapp');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

export async function waitHealthy(url, proc, name) {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}:\n${proc.logs.join('')}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`${name} did not become healthy at ${url}:\n${proc.logs.join('')}`);
}

export class System {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webapp-e2e-'));
    this.procs = [];
    this.secret = crypto.randomBytes(32).toString('hex');
    this.socket = path.join(this.dir, 'ws.sock');
    this.homeRoot = path.join(this.dir, 'home');
  }

  start(name, bin, env) {
    const p = spawn(bin, [], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    p.logs = [];
    p.stdout.on('data', d => p.logs.push(d.toString()));
    p.stderr.on('data', d => p.logs.push(d.toString()));
    p.name = name;
    this.procs.push(p);
    return p;
  }

  // A script in the development home of user.
  script(user, name, code) {
    const d = path.join(this.homeRoot, user, 'user', 'notifications');
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, name), code);
  }

  async up() {
    const bin = path.join(this.dir, 'bin');
    for (const [out, pkg] of [['webapp', './webapp/cmd/webapp'], ['ws-gateway', './gateway/cmd/ws-gateway'],
      ['notify-scripts', './webapp/cmd/notify-scripts'], ['mockoidc', './webapp/e2e/mockoidc']]) {
      execFileSync('go', ['build', '-o', path.join(bin, out), pkg], { cwd: ROOT, stdio: 'inherit' });
    }
    // The real notify-scripts helper, run directly (development mode); it
    // lets only the analysts' group run scripts: here, our own group.
    const group = execFileSync('id', ['-gn']).toString().trim();
    const common = { DESKTOP_JWT_SECRET: this.secret, WS_DISPATCH_SOCKET: this.socket, LOG_LEVEL: 'debug',
      NOTIFY_ANALYST_GROUP: group };

    this.gateway = this.start('ws-gateway', path.join(bin, 'ws-gateway'), {
      ...common, WS_GATEWAY_HOST: '127.0.0.1', WS_GATEWAY_PORT: String(await freePort()),
      WS_GATEWAY_STATE_DIR: path.join(this.dir, 'gateway'),
    });

    const helper = path.join(bin, 'notify-scripts');
    const devPort = await freePort();
    this.devURL = `http://127.0.0.1:${devPort}`;
    this.devWebapp = this.start('webapp-dev', path.join(bin, 'webapp'), {
      ...common, WEBAPP_ADDR: `127.0.0.1:${devPort}`, AUTH_MODE: 'dev', WEBAPP_DEV_USER: 'dev',
      DATA_DIR: path.join(this.dir, 'dev-data'), NOTIFY_SCRIPTS_HELPER: helper,
      NOTIFY_SCRIPTS_HOME_ROOT: this.homeRoot,
    });

    const oidc = this.start('mockoidc', path.join(bin, 'mockoidc'), {});
    const line = await new Promise((resolve, reject) => {
      const rl = readline.createInterface({ input: oidc.stdout });
      rl.once('line', resolve);
      oidc.once('exit', c => reject(new Error(`mockoidc exited ${c}: ${oidc.logs.join('')}`)));
    });
    this.oidc = JSON.parse(line);
    const oidcPort = await freePort();
    this.oidcURL = `http://127.0.0.1:${oidcPort}`;
    this.oidcWebapp = this.start('webapp-oidc', path.join(bin, 'webapp'), {
      ...common, WEBAPP_ADDR: `127.0.0.1:${oidcPort}`, AUTH_MODE: 'oidc',
      OIDC_ISSUER: this.oidc.issuer, OIDC_CLIENT_ID: this.oidc.client_id,
      OIDC_CLIENT_SECRET: this.oidc.client_secret, OIDC_ALLOWED_DOMAINS: 'example.com',
      DATA_DIR: path.join(this.dir, 'oidc-data'), NOTIFY_SCRIPTS_HELPER: helper,
      NOTIFY_SCRIPTS_RUN_AS: 'direct', NOTIFY_SCRIPTS_HOME_ROOT: this.homeRoot,
    });

    await waitHealthy(this.devURL + '/health', this.devWebapp, 'webapp (dev)');
    await waitHealthy(this.oidcURL + '/health', this.oidcWebapp, 'webapp (oidc)');
    await waitHealthy(this.oidc.issuer + '/.well-known/openid-configuration', oidc, 'mockoidc');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }

  logs() { return this.procs.map(p => `--- ${p.name}\n${p.logs.join('')}`).join('\n'); }

  async stop() {
    await Promise.all(this.procs.map(p => new Promise(resolve => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve();
      p.once('exit', resolve);
      p.kill('SIGTERM');
      setTimeout(() => { if (p.exitCode === null) p.kill('SIGKILL'); }, 5000).unref();
    })));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Checks an HS256 JWT against the shared secret and returns its claims.
export function verifyJWT(token, secret) {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  if (header.alg !== 'HS256') throw new Error(`alg ${header.alg}`);
  const want = crypto.createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  if (!crypto.timingSafeEqual(Buffer.from(want), Buffer.from(s))) throw new Error('bad signature');
  return JSON.parse(Buffer.from(p, 'base64url'));
}

// devSignIn signs page in as the dev user through the dev sign-in form and
// waits for the dashboard.
export async function devSignIn(page, sys) {
  await page.goto(sys.devURL + '/dashboard');
  await page.fill('#email', 'dev@example.com');
  await Promise.all([page.waitForURL(sys.devURL + '/dashboard'), page.click('#dev-sign-in')]);
}

// A fresh headless Chromium (Debian's) with its own profile folder; args
// are added to its command line.
export async function browser(chromium, dir, args = []) {
  return chromium.launchPersistentContext(fs.mkdtempSync(path.join(dir, 'profile-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1200, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...args],
  });
}
