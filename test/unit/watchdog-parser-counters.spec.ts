// The Tier 3 report's parser state comes from the parser signals the watchdog saw (no longer zeros).
import { ParserCounters } from "../../src/watchdog/parser-counters.js";
import { formatLogLine } from "../../src/proxy/log-lines.js";
import { classifyLine, type SignalSource } from "../../src/watchdog/signals.js";

describe("parser counters for the Tier 3 report", () => {
  it("count C1, C3 and C4/C6 lines within the window and ignore other signals", () => {
    const counters = new ParserCounters(60_000);
    const lines: [string, SignalSource][] = [
      ["2026-11-27T10:00:00Z [CC-DEBUG] resp=r1 session=s text_len=9 parsed_tool_calls=0 recovered_by=none outcome=surfaced_to_user text_preview=\"x\"", "cc-debug.log"],
      ["2026-11-27T10:00:00Z [CC-DEBUG] resp=r2 session=s [STUCK-RECOVERY] synthesized a command by layer3_path (recovery 1/3 in this session) cmd_preview=\"ls\"", "cc-debug.log"],
      ["2026-11-27T10:00:00Z [CC-DEBUG] resp=r3 session=s [CC-SANITIZER] suspicious cmd (still JSON) in tool call #1 (exec_command) cmd_preview=\"{}\"", "cc-debug.log"],
      ["2026-11-27T10:00:00Z [CC-DEBUG] resp=r4 session=s [CC-SANITIZER] empty cmd recovered in tool call #1 (exec_command) cmd_preview=\"\"", "cc-debug.log"],
      [`2026-11-27T10:00:00.000Z [proxy] ${formatLogLine("r5", "upstream_error", { kind: "http_5xx", status: 500 }, { message: "boom" })}`, "proxy.log"],
    ];
    lines.forEach(([line, source], i) => counters.feed(classifyLine(line, source, 1000 + i)!));
    expect(counters.snapshot(2000)).toEqual({ parsedToolCallsZero: 1, stuckRecoveries: 1, sanitizerFlags: 2 });
    expect(counters.snapshot(70_000)).toEqual({ parsedToolCallsZero: 0, stuckRecoveries: 0, sanitizerFlags: 0 });
  });
});
