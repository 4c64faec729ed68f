import { describe, expect, it } from "vitest";
import { renderSettings, type Handlers } from "../src/views";
import { Controller } from "../src/controller";
import type { Backend } from "../src/api";
import type { State } from "../src/types";

const base: State = {
  connection: { state: "connected" }, account: { signed_in: true, username: "petr", expires_at: "2026-03-01T00:00:00Z" },
  server: "https://a.example", server_from_env: false, gateway: "wss://a.example/ws/notifications", gateway_from_env: false,
  unread: 0, version: "0.1.0",
};

function handlers(opened: string[]): Handlers {
  const noop = () => {};
  return { go: noop, openDetail: noop, markAllRead: noop, clear: noop, runScript: noop, runAgain: noop, acknowledge: noop,
    openInClaude: noop, signIn: noop, signOut: noop, saveServer: noop, confirmSignIn: noop, cancelSignIn: noop,
    snooze: noop, unsnooze: noop, saveQuiet: noop, quietOff: noop,
    openUpdate: () => opened.push("update") };
}

describe("a newer version in Settings", () => {
  it("says which version is available and Download asks the app to open its link", () => {
    const opened: string[] = [];
    const el = renderSettings({ ...base, update: { version: "0.2.0", url: "https://a.example/download/x.exe" } }, handlers(opened));
    const note = el.querySelector(".update")!;
    expect(note.textContent).toBe("Version 0.2.0 is available. Download");
    expect(note.getAttribute("role")).toBe("status");
    // The page never navigates itself: the link is the app's to open.
    expect(el.querySelector("a")).toBeNull();
    note.querySelector("button")!.click();
    expect(opened).toEqual(["update"]);
    expect(el.textContent).toContain("Version0.1.0");
  });

  it("says nothing when the app is up to date, and names a development build", () => {
    expect(renderSettings(base, handlers([])).querySelector(".update")).toBeNull();
    expect(renderSettings({ ...base, version: undefined }, handlers([])).textContent).toContain("Development build");
  });

  it("keeps a hostile version string as text", () => {
    const p = `<img src=x onerror="window.__pwned=1">`;
    const el = renderSettings({ ...base, update: { version: p, url: "x" } }, handlers([]));
    document.body.append(el);
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector(".update")!.textContent).toContain(p);
    el.remove();
  });

  it("the controller's Download calls OpenUpdate and says the browser has it", async () => {
    const calls: string[] = [];
    const be = { state: async () => ({ ...base, update: { version: "0.2.0", url: "u" } }), notifications: async () => [],
      openUpdate: async () => { calls.push("openUpdate"); } } as unknown as Backend;
    const root = document.createElement("div");
    const c = new Controller(root, be);
    await c.start();
    c.handlers.go("settings");
    root.querySelector<HTMLButtonElement>(".update button")!.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toEqual(["openUpdate"]);
    expect(root.textContent).toContain("Opened the download page in the browser.");
  });
});
