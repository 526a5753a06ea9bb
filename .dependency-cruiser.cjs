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
      name: 'engines-stay-below-the-commands',
      comment:
        'Engines (restore-engine, archive, zip, format, database, home, guard, crypto, storage) get what they need as ' +
        'arguments: they never reach up to a command, the settings or the report.',
      severity: 'error',
      from: { path: '^src/(restore-engine|archive|zip|format|database|home|guard|crypto|storage|snapshot)/' },
      to: { path: '^src/(commands|settings|report)/|^src/(job|main|cli|cli-main|index)[.]ts$' }
    },
    {
      name: 'commands-only-from-the-job',
      comment: 'The front ends reach the commands through runJob (src/job.ts) only.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(job[.]ts|commands/)' },
      to: { path: '^src/commands/' }
    },
    {
      name: 'commands-do-not-import-each-other',
      comment: 'What two commands share sits beside them in src/commands/, not inside one of them.',
      severity: 'error',
      from: { path: '^src/commands/([^/]+)/' },
      to: { path: '^src/commands/[^/]+/', pathNot: '^src/commands/$1/' }
    },
    {
      name: 'format-is-a-leaf',
      comment:
        'The backup format (manifest, entry prefixes, work-folder prefix) is data every layer reads: it imports nothing.',
      severity: 'error',
      from: { path: '^src/format/' },
      to: { path: '^src/', pathNot: '^src/format/' }
    },
    {
      name: 'rotation-policy-is-pure',
      comment:
        'Which backups a rotation keeps is a pure function of their names and times: no storage, clock or settings. ' +
        'Listing and deleting go through the storage port, in src/commands/rotate.ts.',
      severity: 'error',
      from: { path: '^src/rotation/' },
      to: { path: '^src/', pathNot: '^src/rotation/' }
    },
    {
      name: 'zip-is-a-leaf',
      comment: 'ZIP encoding and decoding knows nothing of manifests, progress or backups; only its errors are shared.',
      severity: 'error',
      from: { path: '^src/zip/' },
      to: { path: '^src/', pathNot: '^src/(zip/|shared/errors[.]ts$)' }
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
