// Ends every jest run with the slowest suites, so the next person sees where the time goes,
// then one plain line, "Summary: N passed, N failed", that tools reading the log (CI
// included) recognise whatever the test runner.
const SLOWEST = 8;

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const suites = results.testResults
      .filter((suite) => suite.perfStats && suite.perfStats.end > suite.perfStats.start)
      .map((suite) => ({
        path: suite.testFilePath.startsWith(this.rootDir)
          ? suite.testFilePath.slice(this.rootDir.length + 1)
          : suite.testFilePath,
        seconds: (suite.perfStats.end - suite.perfStats.start) / 1000,
      }))
      .sort((a, b) => b.seconds - a.seconds);
    if (suites.length > 1) {
      const total = suites.reduce((sum, suite) => sum + suite.seconds, 0);
      const lines = suites
        .slice(0, SLOWEST)
        .map((suite) => `  ${suite.seconds.toFixed(1).padStart(6)} s  ${suite.path}`);
      process.stdout.write(
        `Slowest suites (of ${suites.length}, ${total.toFixed(0)} s in all across workers):\n${lines.join('\n')}\n`,
      );
    }
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `Summary: ${results.numPassedTests} passed, ${results.numFailedTests} failed` +
        (skipped > 0 ? `, ${skipped} skipped` : '') +
        '\n',
    );
  }
}

module.exports = SummaryReporter;
