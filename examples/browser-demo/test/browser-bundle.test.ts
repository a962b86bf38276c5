/**
 * The page's bundle for the browser platform has no Node built-in: @hrnet/core and @hrnet/heads resolve to
 * their browser builds (`browser` export condition) and pull no fs, child_process, worker_threads, ...
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../scripts/build.js';

describe('browser bundle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hrnet-browser-bundle-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('of the page and of everything @hrnet/core (also /backend) and @hrnet/heads export imports no Node built-in', async () => {
    // Every export kept alive, so nothing is tree-shaken away before the check; resolved from this package as the page is.
    const entry = fileURLToPath(new URL('./.bundle-check.tmp.ts', import.meta.url));
    await writeFile(entry, `import * as core from '@hrnet/core';\nimport * as backend from '@hrnet/core/backend';\nimport * as heads from '@hrnet/heads';\nconsole.log(core, backend, heads);\n`);
    try {
      for (const e of [entry, fileURLToPath(new URL('../src/main.ts', import.meta.url))]) expect((await bundleForBrowser(e, join(dir, 'out.js'))).nodeImports).toEqual([]);
    } finally {
      await rm(entry, { force: true });
    }
  });

  it('names the Node built-ins a module would pull and the file importing them', async () => {
    const entry = join(dir, 'node-only.ts');
    await writeFile(entry, `import { readFileSync } from 'node:fs';\nimport { Worker } from 'worker_threads';\nconsole.log(readFileSync, Worker);\n`);
    const { nodeImports } = await bundleForBrowser(entry, join(dir, 'out.js'));
    expect(nodeImports).toEqual([expect.stringMatching(/^node:fs \(imported by .*node-only\.ts\)$/), expect.stringMatching(/^worker_threads \(imported by .*node-only\.ts\)$/)]);
  });
});
