// A script's health in the Scripts view (docs/health.md): a mark that
// shows a failing script at a glance, a line in words, and the last error
// on demand. last_error and last_stderr are the script's own text: they
// go through h() like everything else, so they stay text.
import { h } from "./dom";
import { relTime } from "./format";
import type { ScriptHealth } from "./types";

export type HealthTone = "ok" | "wait" | "bad" | "off";

/** The mark's colour and its words (for screen readers and the tooltip). */
export function healthTone(hl: ScriptHealth | undefined): { tone: HealthTone; label: string } {
  if (!hl || !hl.last_outcome) return { tone: "off", label: "Not run by the runner yet" };
  if (hl.failing) return { tone: "bad", label: "Failing" };
  if (hl.overdue) return { tone: "bad", label: "Overdue" };
  if (hl.fail_streak > 0) return { tone: "wait", label: "Failed last run" };
  return { tone: "ok", label: "Working" };
}

const outcomeWords: Record<string, string> = {
  alerted: "alerted", quiet: "nothing to report", failed: "failed", bad_output: "bad output", timeout: "timed out",
};

/** One line: how the last run went, and since when it has been failing. */
export function healthLine(hl: ScriptHealth | undefined, now: Date = new Date()): string {
  if (!hl || !hl.last_outcome) return "";
  let last = outcomeWords[hl.last_outcome] ?? hl.last_outcome;
  if (hl.last_outcome === "failed" && hl.last_exit_code) last += ` (exit ${hl.last_exit_code})`;
  const parts = [`Last: ${last}`];
  if (hl.fail_streak > 0) {
    parts.push(`${hl.fail_streak} ${hl.fail_streak === 1 ? "run" : "runs"} without a good one` +
      (hl.failing_since ? ` since ${relTime(hl.failing_since, now)}` : ""));
  }
  if (hl.overdue && hl.expect_every) parts.push(`promised every ${hl.expect_every}`);
  if (hl.fail_streak > 0) parts.push(hl.last_good ? `last good ${relTime(hl.last_good, now)}` : "never ran well");
  return parts.join(" · ");
}

export function healthMark(hl: ScriptHealth | undefined): HTMLElement {
  const { tone, label } = healthTone(hl);
  return h("span", { class: `health ${tone}`, role: "img", "aria-label": label, title: label });
}

/** The last error and stderr lines, folded until asked for. */
export function healthDetails(hl: ScriptHealth | undefined): HTMLElement | null {
  if (!hl || hl.fail_streak === 0 || (!hl.last_error && !hl.last_stderr?.length)) return null;
  return h("details", { class: "last-error" },
    h("summary", {}, "Last error"),
    hl.last_error ? h("p", {}, hl.last_error) : null,
    hl.last_stderr?.length ? h("pre", {}, hl.last_stderr.join("\n")) : null,
  );
}
