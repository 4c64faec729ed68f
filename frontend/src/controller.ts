// The page's state and what the user's actions do. Kept apart from main.ts
// (which only boots it) so tests can drive it with a stand-in backend.
import { mount } from "./dom";
import type { Backend } from "./api";
import type { Item, Open, ScriptInfo, State, View } from "./types";
import { renderConfirmSignIn, renderDetail, renderHeader, renderList, renderScripts, renderSettings, renderSignIn, type Handlers, type Outcome, type QuietView } from "./views";

export class Controller {
  view: View = "list";
  state: State | null = null;
  items: Item[] = [];
  detailId = "";
  scripts: ScriptInfo[] | null = null;
  scriptsError = "";
  runs: Record<string, Outcome> = {};
  quiet: QuietView = {};
  outcome: Outcome | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private shown: View | "confirm" | "" = "";

  constructor(private root: HTMLElement, private api: Backend) {}

  async start(): Promise<void> {
    document.addEventListener("visibilitychange", this.onVisibility);
    this.state = await this.api.state();
    this.items = (await this.api.notifications()) ?? [];
    this.view = this.state.account.signed_in ? "list" : "signin";
    this.render();
  }

  onState(s: State): void {
    const wasIn = this.state?.account.signed_in;
    this.state = s;
    if (!s.account.signed_in && this.view !== "settings") this.view = "signin";
    if (s.account.signed_in && !wasIn && this.view === "signin") this.view = "list";
    this.render();
  }

  async onNotifications(): Promise<void> {
    this.items = (await this.api.notifications()) ?? [];
    this.render();
  }

  onOpen(o: Open): void {
    if (o.view === "detail" && o.id) void this.handlers.openDetail(o.id);
    else this.go(o.view);
  }

  go(v: View): void {
    this.view = v;
    this.outcome = undefined;
    if (v === "scripts") void this.loadScripts();
    if (v === "settings" && this.state?.account.signed_in) void this.loadQuiet();
    this.render();
  }

  private async act(f: () => Promise<unknown>, ok?: string): Promise<void> {
    this.outcome = { busy: true };
    this.render();
    try {
      await f();
      this.outcome = ok ? { ok } : undefined;
    } catch (e) {
      this.outcome = { error: (e as { message: string }).message };
    }
    this.render();
  }

  private async loadScripts(): Promise<void> {
    this.scripts = null;
    this.scriptsError = "";
    try {
      this.scripts = await this.api.scripts();
    } catch (e) {
      this.scriptsError = (e as { message: string }).message;
    }
    this.render();
  }

  private async loadQuiet(): Promise<void> {
    this.quiet = {};
    try {
      this.quiet = { quiet: (await this.api.quiet()).quiet };
    } catch (e) {
      this.quiet = { error: (e as { message: string }).message };
    }
    this.render();
  }

  /** Snooze or unsnooze a script; the list shows the new state. */
  private async snoozeAction(name: string, f: () => Promise<{ snoozed_until: string | null }>, ok: string): Promise<void> {
    this.runs[name] = { busy: true };
    this.render();
    try {
      const r = await f();
      const s = this.scripts?.find((x) => x.name === name);
      if (s) s.snoozed_until = r.snoozed_until;
      this.runs[name] = { ok };
    } catch (e) {
      this.runs[name] = { error: (e as { message: string }).message };
    }
    this.render();
  }

  private async quietAction(f: () => Promise<{ quiet: QuietView["quiet"] }>, ok: string): Promise<void> {
    this.quiet = { ...this.quiet, outcome: { busy: true } };
    this.render();
    try {
      this.quiet = { quiet: (await f()).quiet, outcome: { ok } };
    } catch (e) {
      this.quiet = { ...this.quiet, outcome: { error: (e as { message: string }).message } };
    }
    this.render();
  }

  handlers: Handlers = {
    go: (v) => this.go(v),
    openDetail: async (id) => {
      this.detailId = id;
      this.view = "detail";
      this.outcome = undefined;
      this.render();
      try {
        await this.api.markRead(id);
      } catch { /* gone from the list: the detail view says so */ }
    },
    markAllRead: () => void this.act(() => this.api.markAllRead()),
    clear: () => void this.act(() => this.api.clear()),
    runScript: async (name) => {
      this.runs[name] = { busy: true };
      this.render();
      try {
        await this.api.runScript(name);
        this.runs[name] = { ok: "Done. The result arrives as an alert." };
      } catch (e) {
        this.runs[name] = { error: (e as { message: string }).message };
      }
      this.render();
    },
    runAgain: (id) => void this.act(() => this.api.runAgain(id), "Done. The result arrives as an alert."),
    acknowledge: (id) => void this.act(() => this.api.acknowledge(id), "Acknowledgement sent."),
    openInClaude: (id) => void this.act(() => this.api.openInClaude(id), "Opened in a terminal."),
    signIn: () => void this.act(() => this.api.signIn(), "Finish signing in in the browser."),
    signOut: () => void this.act(() => this.api.signOut()),
    saveServer: (url) => void this.act(async () => { this.state = await this.api.setServer(url); }, "Saved."),
    confirmSignIn: () => void this.act(() => this.api.confirmSignIn()),
    cancelSignIn: () => void this.act(() => this.api.cancelSignIn()),
    snooze: (name, until) => void this.snoozeAction(name, () => this.api.snooze(name, until),
      "Snoozed: it keeps running; one alert says how many were held back when the snooze ends."),
    unsnooze: (name) => void this.snoozeAction(name, () => this.api.unsnooze(name), "No longer snoozed."),
    saveQuiet: (window, zone) => void this.quietAction(() => this.api.setQuiet(window, zone), "Saved."),
    quietOff: () => void this.quietAction(() => this.api.quietOff(), "Quiet hours are off."),
    openUpdate: () => void this.act(() => this.api.openUpdate(), "Opened the download page in the browser."),
  };

  render(): void {
    const s = this.state;
    if (!s) return;
    let body: HTMLElement;
    // A sign-in waiting for the user's yes comes before any view.
    if (s.pending_sign_in) body = renderConfirmSignIn(s.pending_sign_in, this.handlers, this.outcome);
    else switch (this.view) {
      case "detail": {
        const it = this.items.find((i) => i.id === this.detailId);
        body = it ? renderDetail(it, this.handlers, this.outcome) : renderList(this.items, this.handlers);
        break;
      }
      case "scripts": body = renderScripts(this.scripts, this.runs, this.handlers, this.scriptsError); break;
      case "settings": body = renderSettings(s, this.handlers, this.outcome, this.quiet); break;
      case "signin": body = renderSignIn(s, this.handlers, this.outcome); break;
      default: body = renderList(this.items, this.handlers);
    }
    const focused = document.activeElement?.id;
    mount(this.root, renderHeader(s, this.view, this.handlers), h2main(body));
    const shownNow = s.pending_sign_in ? "confirm" : this.view;
    if (this.shown !== shownNow) {
      // A new view: move the keyboard focus into it (its heading, or its
      // first control), so Tab continues from what is on screen.
      this.shown = shownNow;
      const main = this.root.querySelector("main")!;
      (main.querySelector<HTMLElement>("h1") ?? main.querySelector<HTMLElement>("button, input"))?.focus();
    } else if (focused) {
      document.getElementById(focused)?.focus();
    }
    this.syncTicker();
  }

  // "Reconnecting in N s" counts down while the window is shown. A hidden
  // window (the popover, most of the day) keeps no timer: an idle app
  // wakes for nothing of ours (issue 17).
  private syncTicker(): void {
    const counting = this.state?.connection.state === "reconnecting" && !document.hidden;
    if (counting && !this.ticker) this.ticker = setInterval(() => this.renderHeaderOnly(), 1000);
    if (!counting && this.ticker) { clearInterval(this.ticker); this.ticker = undefined; }
  }

  private onVisibility = (): void => {
    this.renderHeaderOnly(); // the count is stale after a while hidden
    this.syncTicker();
  };

  private renderHeaderOnly(): void {
    const s = this.state;
    const old = this.root.querySelector("header");
    if (s && old) old.replaceWith(renderHeader(s, this.view, this.handlers));
  }
}

function h2main(body: HTMLElement): HTMLElement {
  const m = document.createElement("main");
  m.append(body);
  return m;
}
