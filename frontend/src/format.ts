import type { ConnStatus, State } from "./types";

/** The connection line in the header: the truth, in words. */
export function statusText(s: State, now: Date = new Date()): string {
  if (!s.account.signed_in) return s.notice || "Signed out";
  const c: ConnStatus = s.connection;
  switch (c.state) {
    case "connected":
      return "Connected";
    case "connecting":
      return "Connecting…";
    case "reconnecting": {
      const secs = c.retry_at ? Math.max(0, Math.ceil((Date.parse(c.retry_at) - now.getTime()) / 1000)) : 0;
      return secs > 0 ? `Reconnecting in ${secs} s` : "Reconnecting…";
    }
    case "auth_failed":
      return "Sign-in refused" + (c.error ? `: ${c.error}` : "");
    case "signed_out":
      return s.notice || "Signed out";
  }
  return "";
}

/** The colour class of the status dot. */
export function statusTone(s: State): "ok" | "wait" | "bad" | "off" {
  if (!s.account.signed_in) return "off";
  switch (s.connection.state) {
    case "connected": return "ok";
    case "connecting":
    case "reconnecting": return "wait";
    case "auth_failed": return "bad";
    default: return "off";
  }
}

/** "just now", "5 min ago", "3 h ago", then a date. */
export function relTime(iso: string | undefined, now: Date = new Date()): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.round((now.getTime() - t) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A date for the settings view. */
export function dateText(iso: string | undefined): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  return Number.isNaN(t) ? "" : new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
