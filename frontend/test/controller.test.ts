import { describe, expect, it, vi } from "vitest";
import { Controller } from "../src/controller";
import type { Backend } from "../src/api";
import type { Item, State } from "../src/types";

function fakeBackend(items: Item[], s: State): Backend & { calls: string[] } {
  const calls: string[] = [];
  const ok = async () => {};
  return {
    calls,
    state: async () => s,
    notifications: async () => items,
    notification: async (id: string) => items.find((i) => i.id === id)!,
    markRead: async (id: string) => { calls.push("markRead " + id); },
    markAllRead: ok, clear: ok, signIn: async () => { calls.push("signIn"); }, signOut: ok,
    setServer: async () => s, scripts: async () => [], runScript: ok, runAgain: ok, acknowledge: ok,
    openInClaude: async () => { throw { code: "launch", message: "No terminal found" }; },
    confirmSignIn: async () => { calls.push("confirmSignIn"); }, cancelSignIn: async () => { calls.push("cancelSignIn"); },
    snooze: async (name: string, until: string) => { calls.push(`snooze ${name} ${until}`); return { script: name, snoozed_until: "2026-03-02T10:00:00Z" }; },
    unsnooze: async (name: string) => ({ script: name, snoozed_until: null }),
    quiet: async () => ({ quiet: null }),
    setQuiet: async (w: string) => { if (w === "09:00-09:00") throw { code: "server", message: "quiet hours \"09:00-09:00\": the window has zero length" }; return { quiet: { start: w.slice(0, 5), end: w.slice(6) } }; },
    quietOff: async () => ({ quiet: null }),
    openUpdate: async () => { calls.push("openUpdate"); },
  } as Backend & { calls: string[] };
}

const st: State = { connection: { state: "connected" }, account: { signed_in: true, username: "petr", expires_at: "" },
  server: "https://a.example", server_from_env: false, gateway: "wss://a.example/ws/notifications", gateway_from_env: false, unread: 1 };
const it1: Item = { id: "n1", title: "Revenue drop", message: "m", received_at: "2026-01-30T10:00:00Z", read: false };

describe("controller", () => {
  it("opens a clicked notification's detail and marks it read", async () => {
    const root = document.createElement("div");
    const be = fakeBackend([it1], st);
    const c = new Controller(root, be);
    await c.start();
    expect(root.textContent).toContain("Revenue drop");
    c.onOpen({ view: "detail", id: "n1" });
    await Promise.resolve();
    expect(c.view).toBe("detail");
    expect(root.querySelector("h1")!.textContent).toBe("Revenue drop");
    expect(be.calls).toContain("markRead n1");
  });

  it("moves the keyboard focus into a newly shown view", async () => {
    const root = document.createElement("div");
    document.body.append(root);
    const c = new Controller(root, fakeBackend([it1], st));
    await c.start();
    c.onOpen({ view: "detail", id: "n1" });
    expect(document.activeElement).toBe(root.querySelector("main h1"));
    c.go("list");
    expect(document.activeElement?.textContent).toBe("Mark all read");
    root.remove();
  });

  it("shows a failed action's message", async () => {
    const root = document.createElement("div");
    const c = new Controller(root, fakeBackend([it1], st));
    await c.start();
    c.handlers.openDetail("n1");
    c.handlers.openInClaude("n1");
    await new Promise((r) => setTimeout(r, 0));
    expect(root.querySelector(".outcome.error")!.textContent).toBe("No terminal found");
  });

  it("goes to sign-in when signed out, with the notice", async () => {
    const root = document.createElement("div");
    const c = new Controller(root, fakeBackend([], st));
    await c.start();
    c.onState({ ...st, account: { signed_in: false, username: "", expires_at: "" }, notice: "Signed out — sign in again" });
    expect(c.view).toBe("signin");
    expect(root.querySelector(".notice")!.textContent).toBe("Signed out — sign in again");
  });

  it("shows a waiting sign-in before any view and passes the answer on", async () => {
    const root = document.createElement("div");
    const be = fakeBackend([it1], { ...st, pending_sign_in: { username: "anna", current: "petr", requested: true } });
    const c = new Controller(root, be);
    await c.start();
    expect(root.querySelector("h1")!.textContent).toBe("Switch account?");
    expect(root.textContent).not.toContain("Revenue drop");
    root.querySelector<HTMLButtonElement>("#confirm-sign-in")!.click();
    await Promise.resolve();
    expect(be.calls).toContain("confirmSignIn");
    c.onState(st);
    expect(root.textContent).toContain("Revenue drop");
  });

  it("snoozes a script in the Scripts tab and shows until when", async () => {
    const root = document.createElement("div");
    const be = fakeBackend([it1], st);
    be.scripts = async () => [{ name: "a.py", stem: "a", last_run: null, snoozed_until: null }];
    const c = new Controller(root, be);
    await c.start();
    c.go("scripts");
    await new Promise((r) => setTimeout(r, 0));
    (root.querySelector("button.snooze") as HTMLButtonElement).click();
    await new Promise((r) => setTimeout(r, 0));
    expect(be.calls).toContain("snooze a.py 1h");
    expect(root.querySelector(".snoozed")!.textContent).toContain("Snoozed until");
    expect(root.querySelector("button.unsnooze")).not.toBeNull();
  });

  it("sets quiet hours in Settings and shows the server's refusal", async () => {
    const root = document.createElement("div");
    const c = new Controller(root, fakeBackend([it1], st));
    await c.start();
    c.go("settings");
    await new Promise((r) => setTimeout(r, 0));
    expect(root.querySelector(".quiet-now")!.textContent).toBe("No quiet hours set.");
    c.handlers.saveQuiet("09:00-09:00", "");
    await new Promise((r) => setTimeout(r, 0));
    expect(root.querySelector(".quiet .outcome.error")!.textContent).toContain("zero length");
    c.handlers.saveQuiet("22:00-07:00", "Europe/Prague");
    await new Promise((r) => setTimeout(r, 0));
    expect(root.querySelector(".quiet-now")!.textContent).toBe("Quiet every day from 22:00 to 07:00 (server time).");
  });
});

describe("reconnect countdown", () => {
  it("ticks only while the window is shown", async () => {
    vi.useFakeTimers();
    let hidden = true;
    Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
    try {
      const root = document.createElement("div");
      const c = new Controller(root, fakeBackend([it1], st));
      await c.start();
      c.onState({ ...st, connection: { state: "reconnecting", retry_at: new Date(Date.now() + 20_000).toISOString() } });
      expect(vi.getTimerCount()).toBe(0); // hidden: no timer
      hidden = false;
      document.dispatchEvent(new Event("visibilitychange"));
      expect(vi.getTimerCount()).toBe(1);
      expect(root.textContent).toContain("Reconnecting in 20 s");
      vi.advanceTimersByTime(5000);
      expect(root.textContent).toContain("Reconnecting in 15 s");
      hidden = true;
      document.dispatchEvent(new Event("visibilitychange"));
      expect(vi.getTimerCount()).toBe(0);
      hidden = false;
      c.onState(st); // connected: no countdown, shown or not
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      delete (document as { hidden?: boolean }).hidden;
      vi.useRealTimers();
    }
  });
});
