import { afterEach, beforeEach } from 'vitest';

/**
 * One event-loop turn around every test. vitest's worker reports each test's start to the runner over an
 * RPC whose reply it must read within a fixed 60 s (birpc's default; no option changes it). The runner
 * awaits only promises between tests, so a file of synchronous tests (wasm kernels, cpu-backend backward
 * passes) never lets the worker reach the poll phase: on a loaded machine the whole file becomes one
 * blocking stretch, the timeout fires first and a green run exits 1 (`Timeout calling "onTaskUpdate"`).
 * A setImmediate turn reads the waiting replies, so only a single test longer than 60 s could still do it.
 */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
beforeEach(turn);
afterEach(turn);
