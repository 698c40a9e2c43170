// --self-test: the named patterns of the original (54 in v3.7) plus one per defect fixed, run
// through the real parser chain; a mutated pattern must fail.
import { FIXED_DEFECT_CASES, ORIGINAL_CASES, SELF_TEST_CASES } from "../../src/proxy/translate/command-code/self-test-cases.js";
import { parseSelfTestCases, runSelfTest, selfTestReport, type SelfTestCase } from "../../src/proxy/translate/command-code/self-test.js";

describe("the Command Code self-test", () => {
  it("passes every pattern: at least the original's 54 plus one per fixed defect", () => {
    const results = runSelfTest(SELF_TEST_CASES);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(ORIGINAL_CASES.length).toBeGreaterThanOrEqual(54);
    expect(FIXED_DEFECT_CASES.length).toBeGreaterThanOrEqual(8);
    expect(SELF_TEST_CASES.length).toBe(ORIGINAL_CASES.length + FIXED_DEFECT_CASES.length);
    const names = SELF_TEST_CASES.map((c) => `${c.group}/${c.name}`);
    expect(new Set(names).size).toBe(names.length);
    const { lines, exitCode } = selfTestReport(results);
    expect(exitCode).toBe(0);
    expect(lines.length).toBe(SELF_TEST_CASES.length + 1);
    expect(lines[lines.length - 1]).toBe(`${SELF_TEST_CASES.length} passed, 0 failed`);
  });

  it("keeps the pattern names the original's groups used", () => {
    const byGroup = (g: string) => ORIGINAL_CASES.filter((c) => c.group === g).map((c) => c.name.split(" ")[0]);
    expect(byGroup("unwrap")).toEqual(["plain", "single", "double", "triple", "non-dict", "empty", "null"]);
    expect(byGroup("A–G")).toEqual(["A", "B", "C", "D", "E", "F", "G"]);
    expect(byGroup("H–L")).toEqual(["H", "I", "J", "K", "L"]);
    expect(byGroup("M–O2")).toEqual(["M", "N", "N2", "O", "O2"]);
  });

  it("fails, with the reason and exit code 1, when a fixture is changed", () => {
    const mutated = JSON.parse(JSON.stringify(SELF_TEST_CASES)) as SelfTestCase[];
    const target = mutated.find((c) => c.name === "C XML tool_call")!;
    (target as Extract<SelfTestCase, { kind: "parse" }>).expect[0].cmd = "ls -la srcX";
    const results = runSelfTest(mutated);
    expect(results.filter((r) => !r.ok).map((r) => r.name)).toEqual(["C XML tool_call"]);
    const { lines, exitCode } = selfTestReport(results);
    expect(exitCode).toBe(1);
    expect(lines).toContain('FAIL  [A–G] C XML tool_call — call 1: expected cmd "ls -la srcX", got "ls -la src"');
    expect(lines[lines.length - 1]).toBe(`${mutated.length - 1} passed, 1 failed`);
  });

  it("reports a pattern that throws as failed, and an empty run as a failure", () => {
    const results = runSelfTest([{ group: "x", name: "bad input", kind: "unwrap", input: undefined, expect: "x" }]);
    expect(results[0].ok).toBeFalse();
    expect(selfTestReport([]).exitCode).toBe(1);
  });

  it("reads extra patterns from a JSON file and rejects malformed ones", () => {
    expect(parseSelfTestCases('[{"name":"mine","kind":"recover","text":"hi","expect":{"outcome":"text"}}]', "f.json"))
      .toEqual([{ group: "file", name: "mine", kind: "recover", text: "hi", expect: { outcome: "text" } } as SelfTestCase]);
    expect(parseSelfTestCases('{"cases":[]}', "f.json")).toEqual([]);
    expect(() => parseSelfTestCases("{", "f.json")).toThrowError(/f.json is not valid JSON/);
    expect(() => parseSelfTestCases('[{"name":"x","kind":"nope","expect":1}]', "f.json")).toThrowError(/case 1 needs/);
  });
});
