// The views, as pure functions from data to elements (tested with hostile
// text in test/views.test.ts). All text goes through dom.h, so it stays text.
import { h } from "./dom";
import { dateText, relTime, statusText, statusTone } from "./format";
import { healthDetails, healthLine, healthMark, healthTone } from "./health";
import type { Item, PendingSignIn, QuietHours, ScriptInfo, State, View } from "./types";

export interface Handlers {
  go(view: View): void;
  openDetail(id: string): void;
  markAllRead(): void;
  clear(): void;
  runScript(name: string): void;
  runAgain(id: string): void;
  acknowledge(id: string): void;
  openInClaude(id: string): void;
  signIn(): void;
  signOut(): void;
  saveServer(url: string): void;
  confirmSignIn(): void;
  cancelSignIn(): void;
  openUpdate(): void;
  snooze(name: string, until: string): void;
  unsnooze(name: string): void;
  saveQuiet(window: string, zone: string): void;
  quietOff(): void;
}

/** The Settings view's quiet hours: undefined while loading. */
export interface QuietView {
  quiet?: QuietHours | null;
  error?: string;
  outcome?: Outcome;
}

/** A line under an action: what it is doing or how it went. */
export interface Outcome {
  busy?: boolean;
  ok?: string;
  error?: string;
}

function outcome(o: Outcome | undefined): HTMLElement {
  const el = h("p", { class: "outcome", role: "status", "aria-live": "polite" });
  if (o?.busy) el.append("Working…");
  else if (o?.error) { el.classList.add("error"); el.append(o.error); }
  else if (o?.ok) { el.classList.add("ok"); el.append(o.ok); }
  return el;
}

export function renderHeader(s: State, view: View, hd: Handlers, now = new Date()): HTMLElement {
  const tab = (v: View, label: string) =>
    h("button", {
      class: "tab", type: "button", "aria-current": view === v || (v === "list" && view === "detail") ? "page" : undefined,
      onClick: () => hd.go(v),
    }, label);
  return h("header", {},
    h("div", { class: "status", role: "status", "aria-live": "polite" },
      h("span", { class: `dot ${statusTone(s)}`, "aria-hidden": "true" }),
      h("span", { class: "status-text" }, statusText(s, now)),
      s.unread > 0 ? h("span", { class: "badge", "aria-label": `${s.unread} unread` }, String(s.unread)) : null,
    ),
    s.no_tray ? renderNoTray(s.no_tray) : null,
    s.account.signed_in
      ? h("nav", { "aria-label": "Views" }, tab("list", "Alerts"), tab("scripts", "Scripts"), tab("settings", "Settings"))
      : h("nav", { "aria-label": "Views" }, tab("signin", "Sign in"), tab("settings", "Settings")),
  );
}

/** Without a tray icon the window is the app: say why and how to get one. */
function renderNoTray(why: string): HTMLElement {
  return h("div", { class: "no-tray", role: "note" },
    h("p", {}, h("strong", {}, "No tray icon: "), why, "."),
    h("p", {}, "On GNOME, install the AppIndicator extension (Debian and Ubuntu: gnome-shell-extension-appindicator), ",
      "enable it in Extensions and log in again; on other desktops, add the panel's tray or status notifier area. ",
      "Until then this window stays open; start Analyst Alerts again to bring it back."));
}

export function renderList(items: Item[], hd: Handlers, now = new Date()): HTMLElement {
  if (items.length === 0) {
    return h("section", { class: "empty" }, h("p", {}, "No alerts yet."),
      h("p", { class: "muted" }, "When one of your scripts says notify, it shows up here."));
  }
  const unread = items.some((i) => !i.read);
  return h("section", { "aria-label": "Alerts" },
    h("div", { class: "toolbar" },
      h("button", { type: "button", disabled: !unread, onClick: () => hd.markAllRead() }, "Mark all read"),
      h("button", { type: "button", onClick: () => hd.clear() }, "Clear"),
    ),
    h("ul", { class: "list" }, ...items.map((it) =>
      h("li", {},
        h("button", {
          type: "button", class: (it.read ? "item" : "item unread") + (it.acked_at ? " acked" : ""),
          "aria-label": `${it.read ? "" : "Unread: "}${it.acked_at ? "Acknowledged: " : ""}${it.title || "Alert"}`,
          onClick: () => hd.openDetail(it.id),
        },
          h("span", { class: "item-title" }, it.acked_at ? "✓ " : "", it.title || "Alert"),
          h("span", { class: "item-meta" },
            [it.script, relTime(it.timestamp || it.received_at, now)].filter(Boolean).join(" · ")),
          h("span", { class: "item-snippet" }, firstLine(it.message)),
        ),
      ),
    )),
  );
}

/** Where an acknowledgement came from, in words. */
export function viaText(via: string): string {
  return ({ desktop: "the desktop app", telegram: "Telegram", web: "the portal", api: "a script" } as Record<string, string>)[via] || via;
}

function firstLine(s: string): string {
  const line = (s || "").split("\n", 1)[0];
  return line.length > 120 ? line.slice(0, 119) + "…" : line;
}

export function renderDetail(it: Item, hd: Handlers, o?: Outcome, now = new Date()): HTMLElement {
  return h("article", { class: "detail", "aria-label": "Alert" },
    h("button", { type: "button", class: "back", onClick: () => hd.go("list") }, "← All alerts"),
    h("h1", { tabindex: -1 }, it.title || "Alert"),
    h("p", { class: "muted" },
      [it.script ? `Script: ${it.script}` : "", relTime(it.timestamp || it.received_at, now)].filter(Boolean).join(" · ")),
    // Line breaks kept by CSS (white-space: pre-wrap); the text stays text.
    h("div", { class: "message" }, it.message || ""),
    it.image_url
      ? h("img", { class: "chart", src: "/chart/" + encodeURIComponent(it.id), alt: `Chart for ${it.title || "the alert"}`,
          onError: (e) => (e.target as HTMLElement).replaceWith(h("p", { class: "muted" }, "The chart could not be loaded.")) })
      : null,
    it.acked_at
      ? h("p", { class: "acked-state" }, `Acknowledged ${dateText(it.acked_at)}${it.acked_via ? " via " + viaText(it.acked_via) : ""}`)
      : null,
    h("div", { class: "actions" },
      it.acked_at ? null : h("button", { type: "button", class: "acknowledge", disabled: o?.busy, onClick: () => hd.acknowledge(it.id) }, "Acknowledge"),
      it.script ? h("button", { type: "button", disabled: o?.busy, onClick: () => hd.runAgain(it.id) }, "Run again") : null,
      h("button", { type: "button", onClick: () => hd.openInClaude(it.id) }, "Open in Claude Code"),
    ),
    outcome(o),
  );
}

export function renderScripts(list: ScriptInfo[] | null, runs: Record<string, Outcome>, hd: Handlers, error?: string): HTMLElement {
  if (error) return h("section", {}, h("p", { class: "error" }, error));
  if (list === null) return h("section", { "aria-busy": "true" }, h("p", { class: "muted" }, "Loading scripts…"));
  if (list.length === 0) return h("section", { class: "empty" }, h("p", {}, "You have no notification scripts."));
  return h("section", { "aria-label": "Scripts" },
    h("ul", { class: "list" }, ...list.map((s) =>
      h("li", { class: `script ${healthTone(s.health).tone}` },
        h("div", {},
          h("span", { class: "item-title" }, healthMark(s.health), s.stem || s.name),
          h("span", { class: "item-meta" }, s.last_run ? `Last run ${s.last_run}` : "Never run"),
          s.snoozed_until ? h("span", { class: "item-meta snoozed" }, `Snoozed until ${dateText(s.snoozed_until)}`) : null,
          s.health?.last_outcome ? h("span", { class: "item-meta health-line" }, healthLine(s.health)) : null,
          healthDetails(s.health),
        ),
        h("div", { class: "script-actions" },
          s.snoozed_until
            ? h("button", { type: "button", class: "unsnooze", disabled: runs[s.name]?.busy, onClick: () => hd.unsnooze(s.name) }, "Unsnooze")
            : h("button", { type: "button", class: "snooze", disabled: runs[s.name]?.busy, "aria-label": `Snooze ${s.stem || s.name} for 1 hour`,
              onClick: () => hd.snooze(s.name, "1h") }, "Snooze 1 h"),
          h("button", { type: "button", disabled: runs[s.name]?.busy, onClick: () => hd.runScript(s.name) },
            runs[s.name]?.busy ? "Running…" : "Run"),
        ),
        outcome(runs[s.name]),
      ),
    )),
  );
}

/** Quiet hours in Settings: alerts in the window arrive silently. */
export function renderQuiet(q: QuietView, hd: Handlers): HTMLElement {
  const cur = q.quiet;
  let start = cur?.start ?? "22:00";
  let end = cur?.end ?? "07:00";
  let zone = cur?.tz ?? localZone();
  return h("form", { class: "quiet", "aria-label": "Quiet hours", onSubmit: (e) => { e.preventDefault(); hd.saveQuiet(`${start}-${end}`, zone.trim()); } },
    h("h2", {}, "Quiet hours"),
    h("p", { class: "muted" }, "Alerts in these hours arrive silently, with no banner or sound; urgent ones still ring. One summary comes when they end."),
    q.error ? h("p", { class: "error" }, q.error)
      : h("p", { class: "quiet-now" }, cur === undefined ? "Loading…"
        : cur ? `Quiet every day from ${cur.start} to ${cur.end} (${cur.tz || "server time"}).` : "No quiet hours set."),
    h("label", {}, "From", h("input", { id: "quiet-start", type: "time", value: start, onInput: (e) => (start = (e.target as HTMLInputElement).value) })),
    h("label", {}, "To", h("input", { id: "quiet-end", type: "time", value: end, onInput: (e) => (end = (e.target as HTMLInputElement).value) })),
    h("label", {}, "Time zone", h("input", { id: "quiet-tz", value: zone, placeholder: "Europe/Prague", onInput: (e) => (zone = (e.target as HTMLInputElement).value) })),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, "Save quiet hours"),
      cur ? h("button", { type: "button", class: "secondary", onClick: () => hd.quietOff() }, "Turn off") : null,
    ),
    outcome(q.outcome),
  );
}

function localZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

export function renderSettings(s: State, hd: Handlers, o?: Outcome, quiet?: QuietView): HTMLElement {
  let server = s.server;
  const input = h("input", {
    id: "server", type: "url", value: s.server, placeholder: "https://analyst.example.com",
    disabled: s.server_from_env, onInput: (e) => (server = (e.target as HTMLInputElement).value),
  });
  return h("section", { class: "settings", "aria-label": "Settings" },
    h("form", { onSubmit: (e) => { e.preventDefault(); hd.saveServer(server); } },
      h("label", {}, "Server address", input),
      s.server_from_env ? h("p", { class: "muted" }, "Set by ANALYST_SERVER_URL.")
        : h("button", { type: "submit" }, "Save"),
    ),
    h("dl", {},
      h("dt", {}, "Connection"), h("dd", {}, statusText(s)),
      h("dt", {}, "Gateway"),
      h("dd", {}, s.gateway || "None: set the server address",
        s.gateway_from_env ? h("span", { class: "muted" }, " (set by ANALYST_WS_URL)") : null),
      lastError(s) ? h("dt", {}, "Last error") : null,
      lastError(s) ? h("dd", { class: "error" }, lastError(s)) : null,
      h("dt", {}, "Account"), h("dd", {}, s.account.signed_in ? s.account.username : "Not signed in"),
      s.account.signed_in ? h("dt", {}, "Sign-in valid until") : null,
      s.account.signed_in ? h("dd", {}, dateText(s.account.expires_at)) : null,
      h("dt", {}, "Version"), h("dd", {}, s.version || "Development build"),
    ),
    s.update
      ? h("p", { class: "update", role: "status" }, `Version ${s.update.version} is available. `,
        h("button", { type: "button", class: "link", onClick: () => hd.openUpdate() }, "Download"))
      : null,
    s.account.signed_in
      ? h("button", { type: "button", class: "danger", onClick: () => hd.signOut() }, "Sign out")
      : h("button", { type: "button", onClick: () => hd.signIn() }, "Sign in"),
    outcome(o),
    s.account.signed_in && quiet ? renderQuiet(quiet, hd) : null,
  );
}

/** Why the last attempt to connect failed, while not connected (the
 * sign-in refusal is in the status line already). */
function lastError(s: State): string {
  const c = s.connection;
  if (!s.account.signed_in || c.state === "connected" || c.state === "auth_failed") return "";
  return c.error ?? "";
}

export function renderSignIn(s: State, hd: Handlers, o?: Outcome): HTMLElement {
  return h("section", { class: "signin", "aria-label": "Sign in" },
    h("h1", {}, "Analyst Alerts"),
    s.notice ? h("p", { class: "notice", role: "alert" }, s.notice) : null,
    h("p", {}, "Sign in with your company account in the browser; the app picks up the sign-in by itself."),
    s.server
      ? h("button", { type: "button", class: "primary", onClick: () => hd.signIn() }, "Sign in with browser")
      : h("p", {}, "First set the server address in ", h("button", { type: "button", class: "link", onClick: () => hd.go("settings") }, "Settings"), "."),
    outcome(o),
  );
}

/**
 * A sign-in link is waiting: another account than the signed-in one, or a
 * link this app did not ask for (any web page can open one). Nothing has
 * changed; the user decides. The account names are server text: text only.
 */
export function renderConfirmSignIn(p: PendingSignIn, hd: Handlers, o?: Outcome): HTMLElement {
  const title = p.current ? "Switch account?" : "Sign in?";
  const lines: HTMLElement[] = [];
  if (!p.requested) {
    lines.push(h("p", { class: "notice", role: "alert" },
      "This sign-in link was not requested from this app. Continue only if you just signed in in the browser yourself."));
  }
  lines.push(h("p", {}, "The link signs in as ", h("strong", {}, p.username), "."));
  if (p.current) lines.push(h("p", {}, "You are signed in as ", h("strong", {}, p.current), "."));
  return h("section", { class: "confirm", role: "alertdialog", "aria-label": title },
    h("h1", { id: "confirm-title", tabindex: -1 }, title),
    ...lines,
    h("div", { class: "actions" },
      h("button", { type: "button", id: "confirm-sign-in", class: "primary", disabled: o?.busy, onClick: () => hd.confirmSignIn() },
        p.current ? `Switch to ${p.username}` : `Sign in as ${p.username}`),
      h("button", { type: "button", id: "cancel-sign-in", onClick: () => hd.cancelSignIn() },
        p.current ? `Stay ${p.current}` : "Cancel"),
    ),
    outcome(o),
  );
}
