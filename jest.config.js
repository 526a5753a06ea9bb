// Jest runs the TypeScript sources as ESM: the @actions/* packages are ESM-only.
export default {
  clearMocks: true,
  // Most suites wait on databases, child processes and disks rather than the CPU: two at once on two cores.
  maxWorkers: 2,
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Sources import './x.js' (NodeNext style); map that back to the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  reporters: ['default', '<rootDir>/__tests__/support/count-reporter.cjs'],
  testEnvironment: 'node',
  testMatch: ['**/__tests__/**/*.test.ts'],
  testTimeout: 120000,
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  },
  verbose: false
}
