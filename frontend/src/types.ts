// The JSON shapes of the Go services the page is bound to (desktop/app,
// desktop/store, desktop/connection, desktop/auth, gateway/protocol).
// desktop/app's TestPageTypesMatchTheGoTypes fails when they drift apart.

export type ConnState = "signed_out" | "connecting" | "connected" | "reconnecting" | "auth_failed";

export interface ConnStatus {
  state: ConnState;
  username?: string;
  retry_at?: string; // RFC 3339; reconnecting only
  error?: string;
  catching_up?: boolean; // connected, the replay of missed alerts still coming
}

export interface Account {
  signed_in: boolean;
  username: string;
  expires_at: string;
}

export interface State {
  connection: ConnStatus;
  account: Account;
  server: string;
  server_from_env: boolean;
  gateway: string; // the WebSocket address the link uses; "" without a server
  gateway_from_env: boolean;
  unread: number;
  notice?: string;
  no_tray?: string; // why no tray icon can show; the window then stays shown
  pending_sign_in?: PendingSignIn;
  version?: string; // this app's version; none in a development build
  update?: Update; // a newer version the portal offers
}

/** A newer version (desktop/app.Update): the user downloads it from the portal. */
export interface Update {
  version: string;
  url: string;
}

/** A sign-in link waiting for the user's yes (desktop/app.PendingSignIn). */
export interface PendingSignIn {
  username: string;
  current?: string; // the account signed in now
  requested: boolean; // the link answers this app's own Sign in
}

export interface Item {
  id: string;
  title: string;
  message: string;
  image_url?: string;
  script?: string;
  timestamp?: string;
  received_at: string;
  seq?: number; // place in the gateway's history (resume)
  epoch?: string;
  read: boolean;
  silent?: boolean; // came in quiet hours: listed, no banner, no sound
  acked_at?: string; // RFC 3339: acknowledged on some device or channel
  acked_via?: string; // desktop, telegram, web or api
  repeat?: boolean; // the last copy was a repeat of an alert nobody acknowledged
}

export interface ScriptInfo {
  name: string;
  stem: string;
  last_run: string | null;
  snoozed_until: string | null; // RFC 3339; null when not snoozed
  /** Absent until a runner pass has seen the script. */
  health?: ScriptHealth;
}

/** protocol.ScriptHealth: how a script has been doing (docs/health.md).
 * last_error and last_stderr are the script's text: shown as text only. */
export interface ScriptHealth {
  last_outcome?: string;
  last_exit_code?: number;
  last_run_at?: string;
  last_duration?: string;
  last_good?: string;
  fail_streak: number;
  failing_since?: string;
  failing: boolean;
  expect_every?: string;
  overdue?: boolean;
  last_error?: string;
  last_stderr?: string[];
}

/** A script's snooze after a change (gateway/protocol.SnoozeResponse). */
export interface SnoozeResponse {
  script: string;
  snoozed_until: string | null;
}

/** The user's daily quiet hours (gateway/protocol.QuietHours). */
export interface QuietHours {
  start: string; // "HH:MM"
  end: string;
  tz?: string; // IANA zone; absent: the server's
}

export interface QuietResponse {
  quiet: QuietHours | null;
}

export type View = "list" | "detail" | "scripts" | "settings" | "signin";

export interface Open {
  view: View;
  id?: string;
}

/** What a failed call rejects with (desktop/apperr.Public). */
export interface AppError {
  code: string;
  message: string;
}
