import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints one plain closing line, `N passed, N failed, N skipped`, after vitest's own summary, so
 * that tools reading the last line of a run (CI) see the counts without parsing vitest's colours.
 * A module that failed to load counts as one failure; in a module that failed outside its tests (a
 * `beforeAll`/`afterAll` hook, an error while collecting), every test that did not pass counts as
 * failed rather than skipped, so the line never reads "0 failed" for a red run.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      const moduleFailed = module.state() === "failed";
      const tests = [...module.children.allTests()];
      if (moduleFailed && tests.length === 0) failed += 1;
      for (const test of tests) {
        const state = test.result().state;
        if (state === "passed") passed += 1;
        else if (state === "failed" || moduleFailed) failed += 1;
        else skipped += 1;
      }
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
