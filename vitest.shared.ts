import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Settings every package's vitest config starts from. CI runs all packages' suites side by side on a
 * 2-core machine, often beside other CPU-bound work: building large models, cpu-backend backward passes and
 * worker start-up take seconds there, so vitest's 5 s default is a flakiness bound, not a correctness check.
 * Speed is measured by the benchmarks, never by test timeouts.
 *
 * - `pool: 'forks'`: each test file runs in a child process (tfjs engines, wasm heaps and native addons
 *   never share a thread with vitest's own RPC handling or with another file).
 * - `setupFiles`: one event-loop turn around every test, so the worker answers vitest's RPC however long
 *   a file of synchronous tests runs on a loaded machine (see vitest.setup.ts).
 * - `teardownTimeout`: closing worker pools and wasm backends is slow on a loaded machine too.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url))],
    // A bound for hangs, not for speed: with two CPU-bound processes beside a 2-core CI run, a 100-step wasm
    // training loop measured 174 s (heads' classifier-training test), so 180 s was a flakiness bound.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    teardownTimeout: 60_000,
  },
});

/**
 * For the packages whose test files may share a worker process: modules load once per worker instead of once
 * per file (measured on data-coco: 25 s → 13 s of CPU, 56 s → 25 s wall), which matters most while CI shares the
 * machine. Each file starts on the cpu backend (test-utils/cpu-backend-per-file.ts). Used where the files
 * passed in shuffled orders (data-coco, data-imagenet, data-cityscapes, deploy); not in core (a file imports
 * other test files), heads (a file's cpu gradients ran 4x slower after some orders: the worker's heap keeps
 * every earlier file's models) or train (its time is in the processes it starts).
 */
export const sharedWorker = defineConfig({
  test: { isolate: false, setupFiles: [fileURLToPath(new URL('./test-utils/cpu-backend-per-file.ts', import.meta.url))] },
});
