import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'local/**/*.test.ts'],
    // Each file gets its own process: the local stack sets process.env for its handlers.
    pool: 'forks',
    // Two at once: most of a stack test's time is waiting (queues, SES pauses, timeouts), so two
    // files overlap their waits on this 2-core machine; no test asserts a duration.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // Installs the Debian tools the browser tests run (Chromium, Java, SpamAssassin) when missing,
    // while it synthesizes the CDK app the local stacks run (once per change of its sources).
    globalSetup: ['tests/setup/global.ts'],
    reporters: ['default', './tests/setup/durations.ts'],
  },
});
