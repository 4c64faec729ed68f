import { describe, expect, it } from "vitest";
import { renderScripts, type Handlers } from "../src/views";
import { healthLine, healthTone } from "../src/health";
import type { ScriptHealth, ScriptInfo } from "../src/types";

const noop: Handlers = {
  go() {}, openDetail() {}, markAllRead() {}, clear() {}, runScript() {}, runAgain() {}, acknowledge() {},
  openInClaude() {}, signIn() {}, signOut() {}, saveServer() {}, confirmSignIn() {}, cancelSignIn() {}, openUpdate() {},
  snooze() {}, unsnooze() {}, saveQuiet() {}, quietOff() {},
};

const failing: ScriptHealth = {
  last_outcome: "failed", last_exit_code: 2, fail_streak: 3, failing: true,
  failing_since: "2026-01-30T09:05:00Z", last_good: "2026-01-30T08:00:00Z",
  last_error: `revenue_check.py exited with status 2: <img src=x onerror="window.__pwned=1">`,
  last_stderr: [`Traceback (most recent call last):`, `<script>window.__pwned=1</script>`],
};

describe("script health in the Scripts view", () => {
  it("marks a failing script at a glance, and its error stays text", () => {
    const list: ScriptInfo[] = [
      { name: "revenue_check.py", stem: "revenue_check", last_run: "2m ago", snoozed_until: null, health: failing },
      { name: "fine.py", stem: "fine", last_run: "2m ago", snoozed_until: null, health: { last_outcome: "quiet", fail_streak: 0, failing: false } },
      { name: "new.py", stem: "new", last_run: null, snoozed_until: null },
    ];
    const root = renderScripts(list, {}, noop);
    const rows = [...root.querySelectorAll("li.script")];
    expect(rows.map((r) => r.querySelector(".health")!.getAttribute("aria-label"))).toEqual(
      ["Failing", "Working", "Not run by the runner yet"]);
    expect(rows[0].classList.contains("bad")).toBe(true);
    expect(rows[1].classList.contains("bad")).toBe(false);
    const details = rows[0].querySelector("details.last-error")!;
    expect(details.hasAttribute("open")).toBe(false);
    expect(details.querySelector("pre")!.textContent).toBe(failing.last_stderr!.join("\n"));
    expect(details.querySelector("p")!.textContent).toBe(failing.last_error);
    expect(root.querySelectorAll("script, img, [onerror]").length).toBe(0);
    expect(rows[1].querySelector("details")).toBeNull();
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("says how it has been going", () => {
    const now = new Date("2026-01-30T09:20:00Z");
    expect(healthLine(failing, now)).toBe("Last: failed (exit 2) · 3 runs without a good one since 15 min ago · last good 1 h ago");
    expect(healthLine({ last_outcome: "quiet", fail_streak: 0, failing: false }, now)).toBe("Last: nothing to report");
    expect(healthTone({ last_outcome: "timeout", fail_streak: 1, failing: false }).tone).toBe("wait");
    expect(healthTone({ last_outcome: "quiet", fail_streak: 0, failing: false, overdue: true, expect_every: "1h" }).label).toBe("Overdue");
  });
});
