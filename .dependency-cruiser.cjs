/**
 * The import rules that hold the layers (docs/architecture.md), checked by `npm run lint`.
 * Type-only imports count: a cycle through types is still a cycle for a reader of the code.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules form a tree: a cycle (type imports included) means two modules are one, or a third is missing.',
      severity: 'error',
      from: {},
      to: { circular: true }
    },
    {
      name: 'actions-core-only-in-front-ends',
      comment:
        "Only the action's front end talks to the workflow (inputs, outputs, log groups, summary); everything below " +
        'gets a Logger, so the CLI runs the same code.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(main|report/loggers|report/render-actions)[.]ts$' },
      to: { path: '^node_modules/@actions/core/' }
    },
    {
      name: 'artifact-and-cache-clients-only-in-storage',
      comment: "Where a backup is kept is the storage layer's business; the commands see only the Storage port.",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/storage/' },
      to: { path: '^node_modules/@actions/(artifact|cache|github)/' }
    },
    {
      name: 'no-dev-dependencies-in-src',
      comment: 'The bundles carry only runtime dependencies.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] }
    }
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage)/' }
  }
}
