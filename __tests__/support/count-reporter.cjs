// Prints the plain closing line 'N passed, N failed' that CI reads whatever the test runner.
class CountReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites
    console.log(`tests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`)
  }
}
module.exports = CountReporter
