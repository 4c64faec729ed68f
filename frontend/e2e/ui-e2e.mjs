// Drives the real popover UI of a `-tags dev` build (which serves the page
// and live Go bindings to a normal browser) with headless Debian Chromium.
// Started by desktop/e2e (TestDesktopUIInBrowser), which runs the app
// signed in, with one alert dispatched through the real gateway.
//   UI_URL=http://127.0.0.1:PORT/ ARTIFACTS=dir node e2e/ui-e2e.mjs
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const url = process.env.UI_URL;
const artifacts = process.env.ARTIFACTS || tmpdir();
assert.ok(url, "UI_URL is required");

const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "ui-e2e-")), {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 380, height: 560 },
});
const page = browser.pages()[0] ?? (await browser.newPage());
const cspViolations = [];
const pageErrors = [];
// The dev build's browser IPC (/wails/ipc.js, served only by -tags dev
// builds) adds an inline style for its reconnect overlay, which the CSP
// blocks; nothing else may trip the CSP.
page.on("console", (m) => {
  if (!/Content Security Policy/i.test(m.text())) return;
  const from = m.location()?.url || "";
  if (new URL(from, url).pathname === "/wails/ipc.js") return;
  cspViolations.push(`${m.text()} (from ${from})`);
});
page.on("pageerror", (e) => pageErrors.push(String(e)));
const step = async (name, f) => {
  try {
    await f();
    console.log("ok   " + name);
  } catch (e) {
    await page.screenshot({ path: join(artifacts, "ui-failed.png") }).catch(() => {});
    console.log("FAIL " + name + "\n" + (e.stack || e));
    await browser.close();
    process.exit(1);
  }
};

await step("the list shows the alert, unread, as text", async () => {
  await page.goto(url);
  const item = page.locator("button.item").first();
  await item.waitFor({ timeout: 15000 });
  assert.equal(await item.locator(".item-title").textContent(), "Revenue drop <img src=x onerror=alert(1)>");
  assert.ok((await item.getAttribute("class")).includes("unread"));
  assert.equal(await page.locator("img").count(), 0, "no markup from the title");
  assert.match(await page.locator(".status-text").textContent(), /^Connected$/);
  assert.equal(await page.locator(".badge").textContent(), "1");
  await page.screenshot({ path: join(artifacts, "ui-list.png") });
});

await step("keyboard: Tab reaches the alert, Enter opens its detail, which marks it read", async () => {
  await page.locator("button.item").first().focus();
  await page.keyboard.press("Enter");
  await page.locator("article.detail h1").waitFor();
  assert.equal(await page.locator(".message").textContent(), "Revenue fell 32%.\nTop market: CZ");
  await page.locator(".badge").waitFor({ state: "detached", timeout: 5000 });
  const img = page.locator("img.chart");
  await img.waitFor();
  await page.waitForFunction(() => document.querySelector("img.chart")?.naturalWidth > 0, null, { timeout: 10000 });
  await page.screenshot({ path: join(artifacts, "ui-detail.png") });
});

await step("Open in Claude Code starts the terminal", async () => {
  await page.getByRole("button", { name: "Open in Claude Code" }).click();
  assert.equal(await page.locator(".outcome.ok").textContent({ timeout: 10000 }), "Opened in a terminal.");
});

await step("Acknowledge marks the alert done on every device (through the gateway)", async () => {
  await page.getByRole("button", { name: "Acknowledge" }).click();
  await page.locator(".acked-state").waitFor({ timeout: 10000 });
  assert.match(await page.locator(".acked-state").textContent(), /^Acknowledged .* via the desktop app$/);
  assert.equal(await page.getByRole("button", { name: "Acknowledge" }).count(), 0);
  await page.screenshot({ path: join(artifacts, "ui-acknowledged.png") });
  await page.getByRole("button", { name: "← All alerts" }).click();
  assert.ok((await page.locator("button.item", { hasText: "Revenue drop" }).getAttribute("class")).includes("acked"));
  await page.locator("button.item", { hasText: "Revenue drop" }).click(); // back to its detail, for Run again
  await page.locator("article.detail h1").waitFor();
});

await step("Run again runs the script; its result arrives as a new alert", async () => {
  await page.getByRole("button", { name: "Run again" }).click();
  await page.locator(".outcome.ok", { hasText: "The result arrives as an alert" }).waitFor({ timeout: 15000 });
  await page.getByRole("button", { name: "← All alerts" }).click();
  await page.locator("button.item", { hasText: "revenue_check ran" }).waitFor({ timeout: 15000 });
});

await step("Scripts lists the user's scripts and runs one", async () => {
  await page.getByRole("button", { name: "Scripts" }).click();
  const row = page.locator("li.script", { hasText: "revenue_check" });
  await row.waitFor();
  await row.getByRole("button", { name: "Run" }).click();
  await row.locator(".outcome.ok").waitFor({ timeout: 15000 });
  await page.screenshot({ path: join(artifacts, "ui-scripts.png") });
});

await step("Scripts marks a failing script at a glance; its last error on demand, as text", async () => {
  const row = page.locator("li.script", { hasText: "orders_sync" });
  await row.waitFor();
  assert.equal(await row.locator(".health").getAttribute("aria-label"), "Failing");
  assert.ok((await row.getAttribute("class")).includes("bad"));
  assert.match(await row.locator(".health-line").textContent(), /^Last: failed \(exit 1\) · 3 runs without a good one since 15 min ago/);
  assert.equal(await row.locator("details.last-error pre").isVisible(), false);
  await row.locator("details.last-error summary").click();
  await row.locator("details.last-error pre").waitFor();
  assert.match(await row.locator("details.last-error pre").textContent(), /KeyError: 'orders' <img src=x onerror=alert\(1\)>$/);
  assert.equal(await page.locator("img").count(), 0, "no markup from stderr");
  await page.screenshot({ path: join(artifacts, "ui-scripts-health.png") });
});

await step("Scripts: Snooze 1 h shows until when; Unsnooze ends it (through the real webapp and helper)", async () => {
  const row = page.locator("li.script", { hasText: "revenue_check" });
  await row.getByRole("button", { name: "Snooze revenue_check for 1 hour" }).click();
  await row.locator(".snoozed", { hasText: "Snoozed until" }).waitFor({ timeout: 15000 });
  await page.screenshot({ path: join(artifacts, "ui-scripts-snoozed.png") });
  await row.getByRole("button", { name: "Unsnooze" }).click();
  await row.locator(".outcome.ok", { hasText: "No longer snoozed" }).waitFor({ timeout: 15000 });
  assert.equal(await row.locator(".snoozed").count(), 0);
});

await step("Settings: quiet hours refused for an unknown zone, then saved and turned off", async () => {
  await page.getByRole("button", { name: "Settings" }).click();
  await page.locator(".quiet-now", { hasText: "No quiet hours set." }).waitFor({ timeout: 15000 });
  await page.fill("#quiet-start", "22:00");
  await page.fill("#quiet-end", "07:00");
  await page.fill("#quiet-tz", "Mars/Olympus");
  await page.getByRole("button", { name: "Save quiet hours" }).click();
  await page.locator(".quiet .outcome.error", { hasText: "does not exist" }).waitFor({ timeout: 15000 });
  await page.fill("#quiet-tz", "Europe/Prague");
  await page.getByRole("button", { name: "Save quiet hours" }).click();
  await page.locator(".quiet-now", { hasText: "Quiet every day from 22:00 to 07:00 (Europe/Prague)." }).waitFor({ timeout: 15000 });
  await page.screenshot({ path: join(artifacts, "ui-settings-quiet.png"), fullPage: true });
  await page.getByRole("button", { name: "Turn off" }).click();
  await page.locator(".quiet-now", { hasText: "No quiet hours set." }).waitFor({ timeout: 15000 });
});

await step("Settings shows the account and the newer version; Download opens it; Sign out signs out", async () => {
  await page.getByRole("button", { name: "Settings" }).click();
  await page.locator("section.settings dd", { hasText: "petr" }).waitFor();
  // The portal offers a newer version (UI_UPDATE): said in words, Download
  // hands its link to the browser (the test checks which page opened).
  const update = page.locator("section.settings .update");
  await update.waitFor();
  assert.equal(await update.textContent(), `Version ${process.env.UI_UPDATE} is available. Download`);
  await page.screenshot({ path: join(artifacts, "ui-settings.png") });
  await update.getByRole("button", { name: "Download" }).click();
  await page.locator(".outcome", { hasText: "Opened the download page in the browser." }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator(".status-text", { hasText: "Signed out" }).waitFor({ timeout: 10000 });
  await page.getByRole("button", { name: "Sign in" }).first().waitFor();
});

await step("no CSP violation, no page error", async () => {
  assert.deepEqual(cspViolations, []);
  assert.deepEqual(pageErrors, []);
});

await browser.close();
console.log("ui e2e: all steps passed");
