import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "happy-dom",
    include: ["tests/**/*.test.ts"],
    // No per-test time limit: on two shared cores a 2 s test takes 8 s (issue #34), and a limit the load can
    // hit fails the suite for nothing. A test that hangs is still stopped by CI's own limit.
    testTimeout: 0,
    hookTimeout: 0,
  },
});
