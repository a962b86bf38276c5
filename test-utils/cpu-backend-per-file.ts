import { initBackend } from '@hrnet/core';
import { beforeAll } from 'vitest';

/**
 * Setup file of the packages whose test files share a worker process (`sharedWorker` in vitest.shared.ts):
 * every file starts on the cpu backend, as it would in a fresh process, whatever backend the file before it
 * chose (a webgpu backend left active breaks a later file's synchronous reads).
 */
beforeAll(async () => {
  await initBackend('cpu', { log: () => {} });
});
