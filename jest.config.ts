import type { Config } from 'jest';

const config: Config = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/test/setup.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/teardown.ts'],
  // tfjs kernels on big inputs and the MNIST checks take seconds, not milliseconds.
  testTimeout: 600_000,
  // Two cores: one worker per core.
  maxWorkers: 2,
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }],
  },
};

export default config;
