import { describe, expect, it } from "vitest";
import { relTime, statusText, statusTone } from "../src/format";
import { toAppError } from "../src/api";
import type { State } from "../src/types";

const base: State = { connection: { state: "connected" }, account: { signed_in: true, username: "petr", expires_at: "" },
  server: "", server_from_env: false, gateway: "", gateway_from_env: false, unread: 0 };

describe("status line", () => {
  const now = new Date("2026-01-30T10:00:00Z");
  it("tells the truth for each state", () => {
    expect(statusText(base, now)).toBe("Connected");
    expect(statusTone(base)).toBe("ok");
    const r = { ...base, connection: { state: "reconnecting" as const, retry_at: "2026-01-30T10:00:07.2Z" } };
    expect(statusText(r, now)).toBe("Reconnecting in 8 s");
    expect(statusTone(r)).toBe("wait");
    expect(statusText({ ...base, connection: { state: "auth_failed", error: "token expired" } }, now)).toBe("Sign-in refused: token expired");
    const out = { ...base, account: { signed_in: false, username: "", expires_at: "" }, notice: "Signed out — sign in again" };
    expect(statusText(out, now)).toBe("Signed out — sign in again");
    expect(statusTone(out)).toBe("off");
  });
  it("formats times", () => {
    expect(relTime("2026-01-30T09:59:50Z", now)).toBe("just now");
    expect(relTime("2026-01-30T09:55:00Z", now)).toBe("5 min ago");
    expect(relTime("2026-01-30T07:00:00Z", now)).toBe("3 h ago");
    expect(relTime("garbage", now)).toBe("");
  });
});

describe("errors from the Go side", () => {
  it("keeps code and message", () => {
    expect(toAppError({ code: "bad_input", message: "Not a URL" })).toEqual({ code: "bad_input", message: "Not a URL" });
    expect(toAppError('{"code":"network","message":"down"}')).toEqual({ code: "network", message: "down" });
    expect(toAppError("plain")).toEqual({ code: "internal", message: "plain" });
    expect(toAppError(new Error("x")).code).toBe("internal");
  });
});
