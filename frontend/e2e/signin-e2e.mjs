// The sign-in steps of the popover UI, one phase per run, driven by
// desktop/e2e (TestDesktopUIInBrowser), which plays the browser's part in
// between (the portal, the second launch with the link).
//   PHASE=sign-in   the app is signed out: "Sign in with browser" opens the
//                   portal (the test's xdg-open stand-in records the address)
//   PHASE=decline   a link for another account waits: the window asks,
//                   names both accounts, and "Stay" keeps the account
//   UI_URL=http://127.0.0.1:PORT/ ARTIFACTS=dir PHASE=... node e2e/signin-e2e.mjs
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const url = process.env.UI_URL;
const phase = process.env.PHASE;
const artifacts = process.env.ARTIFACTS || tmpdir();
assert.ok(url && phase, "UI_URL and PHASE are required");

const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "signin-e2e-")), {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 380, height: 560 },
});
const page = browser.pages()[0] ?? (await browser.newPage());
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));

try {
  await page.goto(url);
  if (phase === "sign-in") {
    const btn = page.getByRole("button", { name: "Sign in with browser" });
    await btn.waitFor({ timeout: 15000 });
    await page.screenshot({ path: join(artifacts, "ui-signin.png") });
    await btn.click();
    await page.locator(".outcome.ok", { hasText: "Finish signing in in the browser." }).waitFor({ timeout: 10000 });
  } else if (phase === "decline") {
    await page.locator("section.confirm h1", { hasText: "Switch account?" }).waitFor({ timeout: 15000 });
    const text = await page.locator("section.confirm").textContent();
    assert.match(text, /was not requested from this app/);
    assert.match(text, /signs in as anna\./);
    assert.match(text, /You are signed in as petr\./);
    assert.equal(await page.locator("#confirm-sign-in").textContent(), "Switch to anna");
    await page.screenshot({ path: join(artifacts, "ui-confirm.png") });
    await page.locator("#cancel-sign-in").click();
    await page.locator("section.confirm").waitFor({ state: "detached", timeout: 10000 });
    assert.match(await page.locator(".status-text").textContent(), /^Connected$/);
  } else {
    throw new Error("unknown PHASE " + phase);
  }
  assert.deepEqual(pageErrors, []);
  console.log(`signin e2e ${phase}: passed`);
} catch (e) {
  await page.screenshot({ path: join(artifacts, `ui-${phase}-failed.png`) }).catch(() => {});
  console.log(`FAIL signin e2e ${phase}\n` + (e.stack || e));
  await browser.close();
  process.exit(1);
}
await browser.close();
