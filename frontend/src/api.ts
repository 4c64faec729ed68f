// The bridge to the Go services (desktop/app.API, bound by Wails as
// window.go.app.API) and the Wails runtime (events, window). The page
// talks to nothing else: no sockets, no files, no server.
// Written by hand, not generated: desktop/app's
// TestBridgeMatchesTheBoundMethods checks GoAPI against the bound Go methods
// (names, arguments, results), TestPageTypesMatchTheGoTypes types.ts.
import type { AppError, Item, Open, QuietResponse, ScriptInfo, SnoozeResponse, State } from "./types";

interface GoAPI {
  State(): Promise<State>;
  Notifications(): Promise<Item[]>;
  Notification(id: string): Promise<Item>;
  MarkRead(id: string): Promise<void>;
  Acknowledge(id: string): Promise<void>;
  MarkAllRead(): Promise<void>;
  Clear(): Promise<void>;
  SignIn(): Promise<void>;
  SignOut(): Promise<void>;
  ConfirmSignIn(): Promise<void>;
  CancelSignIn(): Promise<void>;
  SetServer(url: string): Promise<State>;
  Scripts(): Promise<ScriptInfo[]>;
  RunScript(name: string): Promise<void>;
  RunAgain(id: string): Promise<void>;
  OpenInClaude(id: string): Promise<void>;
  Snooze(name: string, until: string): Promise<SnoozeResponse>;
  Unsnooze(name: string): Promise<SnoozeResponse>;
  Quiet(): Promise<QuietResponse>;
  SetQuiet(window: string, zone: string): Promise<QuietResponse>;
  QuietOff(): Promise<QuietResponse>;
  OpenUpdate(): Promise<void>;
}

interface WailsRuntime {
  EventsOn(name: string, cb: (data: unknown) => void): () => void;
  WindowHide(): void;
}

declare global {
  interface Window {
    go?: { app?: { API?: GoAPI } };
    runtime?: WailsRuntime;
  }
}

function api(): GoAPI {
  const a = window.go?.app?.API;
  if (!a) throw toAppError("The app's services are not available");
  return a;
}

/** Every rejection becomes an AppError (desktop/apperr renders {code, message}). */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const o = e as { code: unknown; message: unknown };
    return { code: String(o.code), message: String(o.message) };
  }
  if (typeof e === "string") {
    try {
      return toAppError(JSON.parse(e));
    } catch {
      return { code: "internal", message: e };
    }
  }
  if (e instanceof Error) return { code: "internal", message: e.message };
  return { code: "internal", message: "Something went wrong" };
}

async function call<T>(f: (a: GoAPI) => Promise<T>): Promise<T> {
  try {
    return await f(api());
  } catch (e) {
    throw toAppError(e);
  }
}

export const backend = {
  state: () => call((a) => a.State()),
  notifications: () => call((a) => a.Notifications()),
  notification: (id: string) => call((a) => a.Notification(id)),
  markRead: (id: string) => call((a) => a.MarkRead(id)),
  acknowledge: (id: string) => call((a) => a.Acknowledge(id)),
  markAllRead: () => call((a) => a.MarkAllRead()),
  clear: () => call((a) => a.Clear()),
  signIn: () => call((a) => a.SignIn()),
  signOut: () => call((a) => a.SignOut()),
  confirmSignIn: () => call((a) => a.ConfirmSignIn()),
  cancelSignIn: () => call((a) => a.CancelSignIn()),
  setServer: (url: string) => call((a) => a.SetServer(url)),
  scripts: () => call((a) => a.Scripts()),
  runScript: (name: string) => call((a) => a.RunScript(name)),
  runAgain: (id: string) => call((a) => a.RunAgain(id)),
  openInClaude: (id: string) => call((a) => a.OpenInClaude(id)),
  snooze: (name: string, until: string) => call((a) => a.Snooze(name, until)),
  unsnooze: (name: string) => call((a) => a.Unsnooze(name)),
  quiet: () => call((a) => a.Quiet()),
  setQuiet: (window: string, zone: string) => call((a) => a.SetQuiet(window, zone)),
  quietOff: () => call((a) => a.QuietOff()),
  openUpdate: () => call((a) => a.OpenUpdate()),
};

export type Backend = typeof backend;

export function onEvent(name: "state", cb: (s: State) => void): void;
export function onEvent(name: "notifications", cb: () => void): void;
export function onEvent(name: "open", cb: (o: Open) => void): void;
export function onEvent(name: string, cb: (d: never) => void): void {
  window.runtime?.EventsOn(name, cb as (d: unknown) => void);
}

export function hideWindow(): void {
  window.runtime?.WindowHide();
}
