// Jest runs the TypeScript sources as ESM: the @actions/* packages are ESM-only.
// Three tiers, chosen by folder so that a new test file lands in its tier without a list to keep:
//   unit         everything under __tests__/ but the two folders below: no database, no root, no bundle, no
//                external tool or server (npm test)
//   integration  __tests__/integration/<area>/: PostgreSQL, MariaDB, root or a real tool (age, unzip, pg_dump)
//   e2e          __tests__/e2e/: the bundles in dist/ as users run them (build them first: npm run package)
// `jest --selectProjects <tier>` runs one tier; plain `jest` runs all three in one run (scripts/test.sh).
const project = {
  clearMocks: true,
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Sources import './x.js' (NodeNext style); map that back to the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  testTimeout: 120000,
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  }
}

export default {
  // Most suites wait on databases, child processes and disks rather than the CPU: two at once on two cores.
  maxWorkers: 2,
  // A worker reaches its 'exit' event within milliseconds of being told to end (no handle of the tests holds it),
  // then tears down a heap of several hundred MB and its threads; on a loaded machine that takes longer than Jest's
  // default 500 ms, and Jest then kills it and warns of a leak that is not there.
  workerGracefulExitTimeout: 5000,
  reporters: ['default', '<rootDir>/__tests__/support/count-reporter.cjs'],
  testTimeout: 120000,
  verbose: false,
  projects: [
    {
      ...project,
      displayName: 'unit',
      testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/__tests__/integration/', '<rootDir>/__tests__/e2e/']
    },
    { ...project, displayName: 'integration', testMatch: ['<rootDir>/__tests__/integration/**/*.test.ts'] },
    { ...project, displayName: 'e2e', testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'] }
  ]
}
