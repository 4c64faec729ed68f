import { describe, expect, it, beforeEach } from "vitest";
import { h, isSameOriginPath } from "../src/dom";
import { renderConfirmSignIn, renderDetail, renderList, renderQuiet, renderScripts, renderSettings, renderSignIn, renderHeader, type Handlers } from "../src/views";
import type { Item, State } from "../src/types";

const payloads = [
  `<img src=x onerror="window.__pwned=1">`,
  `<script>window.__pwned=1</script>`,
  `"><svg onload="window.__pwned=1">`,
  `javascript:window.__pwned=1`,
  `<a href="javascript:alert(1)">x</a>`,
  `{{constructor.constructor('window.__pwned=1')()}}`,
];

const noop: Handlers = {
  go() {}, openDetail() {}, markAllRead() {}, clear() {}, runScript() {}, runAgain() {}, acknowledge() {},
  openInClaude() {}, signIn() {}, signOut() {}, saveServer() {}, confirmSignIn() {}, cancelSignIn() {}, openUpdate() {},
  snooze() {}, unsnooze() {}, saveQuiet() {}, quietOff() {},
};

function item(p: string, extra: Partial<Item> = {}): Item {
  return { id: p, title: p, message: `${p}\nsecond line ${p}`, script: p, timestamp: "2026-01-30T10:00:00Z",
    received_at: "2026-01-30T10:00:00Z", read: false, image_url: "/api/notifications/images/a.png", ...extra };
}

function state(extra: Partial<State> = {}): State {
  return { connection: { state: "connected", username: "petr" }, account: { signed_in: true, username: "petr", expires_at: "2026-03-01T00:00:00Z" },
    server: "https://analyst.example.com", server_from_env: false, gateway: "wss://analyst.example.com/ws/notifications", gateway_from_env: false, unread: 2, ...extra };
}

// Markup that a payload would create if it were parsed as HTML.
function injected(root: Element): Element[] {
  return [...root.querySelectorAll("script, svg, a, iframe, object, embed, [onerror], [onload]")]
    .concat([...root.querySelectorAll("img")].filter((i) => !i.getAttribute("src")?.startsWith("/chart/")));
}

beforeEach(() => {
  (window as unknown as { __pwned?: number }).__pwned = undefined;
  document.body.replaceChildren();
});

describe("server text stays text", () => {
  for (const p of payloads) {
    it(`list, detail, scripts: ${p}`, () => {
      const root = document.createElement("div");
      document.body.append(root);
      root.append(
        renderList([item(p), item(p + "2", { read: true })], noop),
        renderDetail(item(p), noop, { error: p }),
        renderScripts([{ name: p, stem: p, last_run: p, snoozed_until: null }, { name: p + "s", stem: p, last_run: p, snoozed_until: p }], { [p]: { error: p } }, noop),
        renderSettings(state({ server: p, account: { signed_in: true, username: p, expires_at: "x" } }), noop, { ok: p },
          { quiet: { start: p, end: p, tz: p }, outcome: { error: p } }),
        renderSignIn(state({ notice: p, account: { signed_in: false, username: "", expires_at: "" } }), noop, { error: p }),
        renderHeader(state({ connection: { state: "auth_failed", error: p } }), "list", noop),
      );
      expect(injected(root)).toEqual([]);
      expect(root.textContent).toContain(p);
      expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    });
  }

  it("keeps line breaks of the message as text", () => {
    const el = renderDetail(item("t", { message: "a\nb\n<b>c</b>" }), noop);
    const msg = el.querySelector(".message")!;
    expect(msg.textContent).toBe("a\nb\n<b>c</b>");
    expect(msg.children.length).toBe(0);
  });

  it("loads the chart only from the app's own origin, by id", () => {
    const el = renderDetail(item(`x"/../../evil?`, { image_url: "https://evil.example/a.png" }), noop);
    const img = el.querySelector("img")!;
    expect(img.getAttribute("src")).toBe("/chart/" + encodeURIComponent(`x"/../../evil?`));
  });

  it("refuses a non-local src", () => {
    for (const s of ["https://evil.example/x.png", "//evil.example/x", "javascript:alert(1)", "data:text/html,x", "/\\evil"]) {
      expect(isSameOriginPath(s)).toBe(false);
      expect(() => h("img", { src: s })).toThrow();
    }
    expect(isSameOriginPath("/chart/abc")).toBe(true);
  });
});

describe("views", () => {
  it("marks unread items and runs handlers from the keyboard-reachable buttons", () => {
    const opened: string[] = [];
    const el = renderList([item("a"), item("b", { read: true })], { ...noop, openDetail: (id) => opened.push(id) });
    const buttons = el.querySelectorAll<HTMLButtonElement>("button.item");
    expect(buttons.length).toBe(2);
    expect(buttons[0].classList.contains("unread")).toBe(true);
    expect(buttons[1].classList.contains("unread")).toBe(false);
    buttons[1].click();
    expect(opened).toEqual(["b"]);
  });

  it("shows an empty list kindly", () => {
    expect(renderList([], noop).textContent).toContain("No alerts yet");
  });

  it("offers Run again only when the alert names a script", () => {
    const withScript = renderDetail(item("a"), noop);
    const without = renderDetail(item("a", { script: "" }), noop);
    expect(withScript.textContent).toContain("Run again");
    expect(without.textContent).not.toContain("Run again");
  });

  it("shows the gateway address in use and the last connection error in words", () => {
    const failing = state({
      connection: { state: "reconnecting", retry_at: "2099-01-01T00:00:00Z",
        error: "Nothing answers at 127.0.0.1:8080: the gateway is not running there, or the address is wrong." },
      gateway: "ws://127.0.0.1:8080/ws/notifications", gateway_from_env: true,
    });
    const el = renderSettings(failing, noop);
    const dts = [...el.querySelectorAll("dt")].map((d) => d.textContent);
    expect(dts).toContain("Gateway");
    expect(dts).toContain("Last error");
    expect(el.textContent).toContain("ws://127.0.0.1:8080/ws/notifications (set by ANALYST_WS_URL)");
    expect(el.querySelector("dd.error")!.textContent).toContain("Nothing answers at 127.0.0.1:8080");
    // Connected: no stale error; no server: says what to do.
    const ok = renderSettings(state(), noop);
    expect([...ok.querySelectorAll("dt")].map((d) => d.textContent)).not.toContain("Last error");
    expect(renderSettings(state({ gateway: "" }), noop).textContent).toContain("None: set the server address");
  });

  it("keeps a hostile gateway address and error as text", () => {
    for (const p of payloads) {
      const el = renderSettings(state({ gateway: p, connection: { state: "reconnecting", error: p } }), noop);
      document.body.append(el);
      expect(injected(el)).toEqual([]);
      el.remove();
    }
  });

  it("says how to get a tray icon when the desktop shows none", () => {
    const el = renderHeader(state({ no_tray: "no StatusNotifier watcher runs on this desktop" }), "list", noop);
    expect(el.querySelector(".no-tray")!.textContent).toContain("No tray icon: no StatusNotifier watcher runs on this desktop.");
    expect(el.textContent).toContain("gnome-shell-extension-appindicator");
    expect(renderHeader(state(), "list", noop).querySelector(".no-tray")).toBeNull();
  });

  it("disables the server field when the environment sets it", () => {
    const el = renderSettings(state({ server_from_env: true }), noop);
    expect(el.querySelector<HTMLInputElement>("#server")!.disabled).toBe(true);
    expect(el.textContent).toContain("ANALYST_SERVER_URL");
  });
});

describe("sign-in confirmation", () => {
  it("keeps hostile account names as text", () => {
    for (const p of payloads) {
      const el = renderConfirmSignIn({ username: p, current: p, requested: false }, noop);
      document.body.append(el);
      expect(injected(el)).toEqual([]);
      expect(el.textContent).toContain(p);
      expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
      el.remove();
    }
  });
  it("says when the app did not ask for the link, and names both accounts", () => {
    const el = renderConfirmSignIn({ username: "anna", current: "petr", requested: false }, noop);
    expect(el.textContent).toContain("was not requested from this app");
    expect(el.querySelector("#confirm-sign-in")!.textContent).toBe("Switch to anna");
    expect(el.querySelector("#cancel-sign-in")!.textContent).toBe("Stay petr");
    const asked = renderConfirmSignIn({ username: "anna", requested: true }, noop);
    expect(asked.textContent).not.toContain("not requested");
    expect(asked.querySelector("#confirm-sign-in")!.textContent).toBe("Sign in as anna");
  });
});

describe("snooze and quiet hours", () => {
  it("offers Snooze 1 h, or Unsnooze with the end of a snooze", () => {
    const calls: string[] = [];
    const hd: Handlers = { ...noop, snooze: (n, u) => calls.push(`snooze ${n} ${u}`), unsnooze: (n) => calls.push(`unsnooze ${n}`) };
    const el = renderScripts([
      { name: "a.py", stem: "a", last_run: null, snoozed_until: null },
      { name: "b.py", stem: "b", last_run: null, snoozed_until: "2026-03-02T10:00:00Z" },
    ], {}, hd);
    const [a, b] = [...el.querySelectorAll("li")];
    expect(a.querySelector(".snoozed")).toBeNull();
    (a.querySelector("button.snooze") as HTMLButtonElement).click();
    expect(b.querySelector(".snoozed")!.textContent).toContain("Snoozed until");
    expect(b.querySelector("button.snooze")).toBeNull();
    (b.querySelector("button.unsnooze") as HTMLButtonElement).click();
    expect(calls).toEqual(["snooze a.py 1h", "unsnooze b.py"]);
  });

  it("sets quiet hours from the form, and turns them off", () => {
    const calls: string[] = [];
    const hd: Handlers = { ...noop, saveQuiet: (w, z) => calls.push(`save ${w} ${z}`), quietOff: () => calls.push("off") };
    const el = renderQuiet({ quiet: { start: "22:00", end: "07:00", tz: "Europe/Prague" } }, hd);
    document.body.append(el); // a form submits only in the document
    expect(el.querySelector(".quiet-now")!.textContent).toBe("Quiet every day from 22:00 to 07:00 (Europe/Prague).");
    const start = el.querySelector("#quiet-start") as HTMLInputElement;
    start.value = "23:30";
    start.dispatchEvent(new Event("input"));
    (el.querySelector("button[type=submit]") as HTMLButtonElement).click();
    [...el.querySelectorAll("button")].find((b) => b.textContent === "Turn off")!.click();
    expect(calls).toEqual(["save 23:30-07:00 Europe/Prague", "off"]);
    expect(renderQuiet({ quiet: null }, hd).querySelector(".quiet-now")!.textContent).toBe("No quiet hours set.");
    expect([...renderQuiet({ quiet: null }, hd).querySelectorAll("button")].map((b) => b.textContent)).toEqual(["Save quiet hours"]);
  });
});

describe("acknowledged alerts", () => {
  it("shows Acknowledge on an open alert and the state, not the button, on an acknowledged one", () => {
    const open = renderDetail(item("a1"), noop);
    expect(open.querySelector("button.acknowledge")?.textContent).toBe("Acknowledge");
    const done = renderDetail(item("a1", { acked_at: "2026-01-01T10:42:00Z", acked_via: "telegram" }), noop);
    expect(done.querySelector("button.acknowledge")).toBeNull();
    expect(done.querySelector(".acked-state")?.textContent).toMatch(/^Acknowledged .* via Telegram$/);
    const list = renderList([item("a1", { acked_at: "2026-01-01T10:42:00Z" })], noop);
    expect(list.querySelector("button.item.acked")?.getAttribute("aria-label")).toContain("Acknowledged: ");
  });
});
