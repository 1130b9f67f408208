import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start brokers and clients as processes; files run one at a time on 2 cores.
    fileParallelism: false,
    reporters: ['default'],
  },
});
