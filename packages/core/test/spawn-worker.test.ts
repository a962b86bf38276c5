import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { siblingWorkerModule, spawnWorker } from '../src/utils/spawn-worker.js';

const reply = (w: Worker) =>
  new Promise<unknown>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  }).finally(() => w.terminate());

describe('spawnWorker', () => {
  it('runs a TypeScript worker (through tsx) and a JavaScript one, passing workerData', async () => {
    const ts = new URL('./fixtures/echo-worker.ts', import.meta.url);
    expect(await reply(spawnWorker(ts, { workerData: { n: 1 } }))).toEqual({ got: { n: 1 }, lang: 'ts' });
    const js = new URL('./fixtures/echo-worker.mjs', import.meta.url);
    expect(await reply(spawnWorker(js.pathname, { workerData: [2] }))).toEqual({ got: [2], lang: 'js' });
  });

  it('picks the built .js sibling over the .ts source, and names what is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spawn-worker-'));
    const base = pathToFileURL(join(dir, 'pool.js')).href;
    writeFileSync(join(dir, 'w.ts'), '');
    expect(siblingWorkerModule(base, 'w').pathname).toMatch(/\/w\.ts$/);
    writeFileSync(join(dir, 'w.js'), '');
    expect(siblingWorkerModule(base, 'w').pathname).toMatch(/\/w\.js$/);
    expect(() => siblingWorkerModule(base, 'other')).toThrow(`worker module other.js/.ts not found next to ${join(dir, 'pool.js')}`);
  });
});
