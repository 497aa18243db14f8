import { defineConfig } from 'vitest/config';

// Four projects: `unit` runs pure, in-process tests with no external parts;
// `integration` talks to a real Kafka broker provided by its global setup; `kube` talks to a
// real Kubernetes API (etcd + kube-apiserver, or a given cluster) provided by its own; `e2e`
// needs both (operator on the apiserver, gateways producing to Kafka) and runs both setups;
// `faults` kills, pauses and restarts those real parts under load and also runs both.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'kernel/**/*.test.ts',
            'gateway/**/*.test.ts',
            'cli/**/*.test.ts',
            'operator/**/*.test.ts',
            'test/unit/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/infra/kafka-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'kube',
          include: ['test/kube/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/infra/kube-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/infra/kafka-global-setup.ts', 'test/infra/kube-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/infra/kafka-global-setup.ts', 'test/infra/kube-global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
