// The test runner itself must count failures and exit non-zero, or every other green run means nothing.
import { gjs, run } from "../helpers/process.js";
import { REPO_ROOT } from "../helpers/repo.js";

describe("test/runner.js", () => {
  it("reports failures, prints 'N passed, N failed' and exits non-zero", async () => {
    const result = await run([gjs(), "-m", `${REPO_ROOT}/test/runner.js`, `${REPO_ROOT}/test/fixtures/runner-sample.js`]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("  ok   sample passes");
    expect(result.stdout).toContain("  FAIL sample fails");
    expect(result.stdout).toContain("Expected 'left' to be 'right'.");
    expect(result.stdout).toContain("  FAIL sample throws asynchronously");
    expect(result.stdout).toMatch(/\n1 passed, 2 failed \(/);
  });

  it("runs only the matching specs with --filter", async () => {
    const result = await run([gjs(), "-m", `${REPO_ROOT}/test/runner.js`, "--filter", "passes", `${REPO_ROOT}/test/fixtures/runner-sample.js`]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/\n1 passed, 0 failed, 2 skipped/);
  });
});
