// `codex-launcher-proxy --self-test`: runs the named parser patterns (the original's 54 of v3.7,
// reconstructed, plus one per defect fixed here) through the real parser chain. Pure: cases are plain
// JSON data, so a user can add their own captured model outputs with --self-test-fixtures FILE.
import { messageText, parseToolCalls, recoverToolCalls } from "./parser/chain.js";
import { fallbackCalls } from "./parser/fallback.js";
import { isRecord } from "./parser/loose-json.js";
import { unwrapCmd } from "./parser/sanitizer.js";
import { isDestructiveCommand, isSafeToSynthesize, shellQuote } from "./parser/shell.js";
import type { ParsedCall } from "./parser/types.js";
import { buildExploreCmd, findUrlsDeep } from "./parser/urls.js";

export interface CallExpectation {
  name: string;
  /** The exact command (exec_command). */
  cmd?: string;
  cmdContains?: string[];
  cmdNotContains?: string[];
  /** Argument values that must be present (deep-equal). */
  args?: Record<string, unknown>;
  stage?: string;
}

interface Base {
  name: string;
  group: string;
}

export type SelfTestCase = Base & (
  | { kind: "unwrap"; input: unknown; expect: string }
  /** Stages 1–7 and Layer 2 only (the original `_parse_commandcode_text_tool_calls`). */
  | { kind: "parse"; text: string; userUrls?: string[]; expect: CallExpectation[] }
  /** The whole chain: stages, fallback, Layer 3 and the sanitizer. */
  | { kind: "recover"; text: string; userUrls?: string[]; stuckLeft?: number;
      expect: { outcome: "tools" | "text" | "unrecoverable"; calls?: CallExpectation[]; sanitizer?: string[]; messageNotContains?: string[] } }
  | { kind: "fallback"; text: string; expect: CallExpectation[] }
  /** `_build_explore_cmd` from a URL or from a block whose URL hides in JSON. */
  | { kind: "explore"; input: string; expect: { contains: string[]; notContains?: string[] } }
  | { kind: "quote"; input: string; expect: string }
  | { kind: "synthesis"; cmd: string; expect: { safe: boolean; destructive?: boolean } }
);

export interface SelfTestResult {
  name: string;
  group: string;
  ok: boolean;
  detail: string;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Why `actual` does not meet `expected`, or "" when it does. */
export function compareCalls(actual: readonly ParsedCall[], expected: readonly CallExpectation[]): string {
  if (actual.length !== expected.length)
    return `expected ${expected.length} call(s), got ${actual.length}: ${JSON.stringify(actual.map((c) => ({ name: c.name, args: c.args })))}`;
  for (const [i, want] of expected.entries()) {
    const got = actual[i];
    const cmd = String(got.args.cmd ?? "");
    if (got.name !== want.name) return `call ${i + 1}: expected name ${want.name}, got ${got.name}`;
    if (want.stage !== undefined && got.stage !== want.stage) return `call ${i + 1}: expected stage ${want.stage}, got ${got.stage}`;
    if (want.cmd !== undefined && cmd !== want.cmd) return `call ${i + 1}: expected cmd ${JSON.stringify(want.cmd)}, got ${JSON.stringify(cmd)}`;
    for (const part of want.cmdContains ?? []) if (!cmd.includes(part)) return `call ${i + 1}: cmd lacks ${JSON.stringify(part)}: ${JSON.stringify(cmd)}`;
    for (const part of want.cmdNotContains ?? []) if (cmd.includes(part)) return `call ${i + 1}: cmd must not contain ${JSON.stringify(part)}: ${JSON.stringify(cmd)}`;
    for (const [k, v] of Object.entries(want.args ?? {}))
      if (!deepEqual(got.args[k], v)) return `call ${i + 1}: expected ${k}=${JSON.stringify(v)}, got ${JSON.stringify(got.args[k])}`;
  }
  return "";
}

function runCase(c: SelfTestCase): string {
  switch (c.kind) {
    case "unwrap": {
      const got = unwrapCmd(c.input);
      return got === c.expect ? "" : `expected ${JSON.stringify(c.expect)}, got ${JSON.stringify(got)}`;
    }
    case "parse":
      return compareCalls(parseToolCalls(c.text, c.userUrls ?? []).calls, c.expect);
    case "fallback":
      return compareCalls(fallbackCalls(c.text).calls, c.expect);
    case "recover": {
      const r = recoverToolCalls({ text: c.text, userUrls: c.userUrls ?? [], stuckRecoveriesLeft: c.stuckLeft ?? 3 });
      if (r.outcome !== c.expect.outcome) return `expected outcome ${c.expect.outcome}, got ${r.outcome} (${JSON.stringify(r.calls.map((x) => x.args.cmd ?? x.name))})`;
      const calls = c.expect.calls ? compareCalls(r.calls, c.expect.calls) : "";
      if (calls) return calls;
      const flags = r.sanitizer.map((s) => s.flag);
      if (c.expect.sanitizer && !deepEqual(flags, c.expect.sanitizer)) return `expected sanitizer flags ${JSON.stringify(c.expect.sanitizer)}, got ${JSON.stringify(flags)}`;
      const message = messageText(c.text, r.spans);
      for (const part of c.expect.messageNotContains ?? []) if (message.includes(part)) return `the message still shows ${JSON.stringify(part)}`;
      return "";
    }
    case "explore": {
      const url = /^https?:\/\/\S+$/.test(c.input.trim()) ? c.input.trim() : findUrlsDeep(c.input)[0];
      if (!url) return "no URL found";
      const cmd = buildExploreCmd(url);
      for (const part of c.expect.contains) if (!cmd.includes(part)) return `command lacks ${JSON.stringify(part)}: ${cmd}`;
      for (const part of c.expect.notContains ?? []) if (cmd.includes(part)) return `command must not contain ${JSON.stringify(part)}: ${cmd}`;
      return "";
    }
    case "quote": {
      const got = shellQuote(c.input);
      return got === c.expect ? "" : `expected ${c.expect}, got ${got}`;
    }
    case "synthesis": {
      const safe = isSafeToSynthesize(c.cmd);
      if (safe !== c.expect.safe) return `expected safe=${c.expect.safe}, got ${safe}`;
      if (c.expect.destructive !== undefined && isDestructiveCommand(c.cmd) !== c.expect.destructive)
        return `expected destructive=${c.expect.destructive}`;
      return "";
    }
  }
}

export function runSelfTest(cases: readonly SelfTestCase[]): SelfTestResult[] {
  return cases.map((c) => {
    let detail: string;
    try {
      detail = runCase(c);
    } catch (e) {
      detail = `threw ${(e as Error).name}: ${(e as Error).message}`;
    }
    return { name: c.name, group: c.group, ok: detail === "", detail };
  });
}

/** One line per pattern and the closing `N passed, N failed`; exit code 1 on any failure. */
export function selfTestReport(results: readonly SelfTestResult[]): { lines: string[]; exitCode: number } {
  const lines = results.map((r) => `${r.ok ? "PASS" : "FAIL"}  [${r.group}] ${r.name}${r.ok ? "" : ` — ${r.detail}`}`);
  const failed = results.filter((r) => !r.ok).length;
  lines.push(`${results.length - failed} passed, ${failed} failed`);
  return { lines, exitCode: failed > 0 || results.length === 0 ? 1 : 0 };
}

const KINDS = new Set(["unwrap", "parse", "recover", "fallback", "explore", "quote", "synthesis"]);

/** Cases from a JSON file (a list, or {"cases": [...]}); throws with the reason when the shape is wrong. */
export function parseSelfTestCases(text: string, source: string): SelfTestCase[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(data) ? data : isRecord(data) && Array.isArray(data.cases) ? data.cases : null;
  if (!list) throw new Error(`${source} must hold a list of self-test cases`);
  return list.map((c, i) => {
    if (!isRecord(c) || typeof c.name !== "string" || typeof c.kind !== "string" || !KINDS.has(c.kind) || c.expect === undefined)
      throw new Error(`${source}: case ${i + 1} needs "name", a known "kind" (${[...KINDS].join(", ")}) and "expect"`);
    return { group: "file", ...c } as SelfTestCase;
  });
}
