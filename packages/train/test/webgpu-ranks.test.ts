/**
 * Two webgpu ranks (each its adapter by rank; in CI both on lavapipe's one adapter) as 2 local processes
 * train the toy model equal to one webgpu process at the doubled batch: the gradient reduction, the
 * overflow check and the checkpoint reads are asynchronous, so nothing reads webgpu tensors synchronously.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listWebgpuAdapters } from '@hrnet/core/backend';
import { afterAll, describe, expect, it } from 'vitest';
import { describeSkippedWebgpu, loadWebgpu } from '../../../test-utils/webgpu.js';
import { launchProcesses } from '../src/index.js';
import type { RankResult } from './dist-toy.js';

const RANK_SCRIPT = fileURLToPath(new URL('./dist-rank.ts', import.meta.url));
const webgpu = await loadWebgpu(listWebgpuAdapters);
const TITLE = 'two webgpu ranks equal one webgpu process at the doubled batch';

if (!webgpu.available) describeSkippedWebgpu(TITLE, webgpu);
else {
  describe(TITLE, () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrnet-webgpu-ranks-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const data = JSON.stringify({ bn: false, sync: false, steps: 2, batch: 4, backend: 'webgpu', digests: false });
    const read = (sub: string, r: number) => JSON.parse(readFileSync(join(dir, sub, `rank${r}.json`), 'utf8')) as RankResult;

    it('2 processes x 2 samples = 1 process x 4 samples (weights to 1e-6)', async () => {
      for (const sub of ['single', 'ranks']) mkdirSync(join(dir, sub), { recursive: true });
      const single = spawn(process.execPath, ['--import', 'tsx', RANK_SCRIPT, data, join(dir, 'single')], { stdio: 'inherit' });
      expect(await new Promise((resolve) => single.on('exit', resolve))).toBe(0);
      await launchProcesses({ worldSize: 2, script: RANK_SCRIPT, args: [data, join(dir, 'ranks')], nodeArgs: ['--import', 'tsx'] });
      const want = read('single', 0);
      const [r0, r1] = [read('ranks', 0), read('ranks', 1)];
      expect(r1.weights).toEqual(r0.weights);
      let m = 0;
      r0.weights.forEach((w, i) => w.forEach((v, j) => (m = Math.max(m, Math.abs(v - want.weights[i][j])))));
      console.log(`webgpu: 2 ranks vs 1 process, max weight difference ${m.toExponential(2)}`);
      expect(m).toBeLessThan(1e-6);
      r0.losses.forEach((l, i) => expect(Math.abs(l - want.losses[i])).toBeLessThan(1e-6));
    }, 300_000);
  });
}
