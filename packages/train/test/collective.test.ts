/**
 * The collective layer across processes: the bucketed all-reduce, the rank environment, GPUs by rank, and
 * the toy run as 2 local processes (`launchProcesses`) and under `mpirun -n 2` against one process at the
 * doubled batch; a killed or stalled rank ends the job with one message naming it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MPI_ENV, mpiAvailable, runCaptured } from '../../../test-utils/mpi.js';
import { allReduceBuckets, launchProcesses, rankDeviceEnv, rankFromEnv, resolveWorldSize, visibleDevices, type Collective } from '../src/index.js';
import { trainToy, type RankResult } from './dist-toy.js';

const RANK_SCRIPT = fileURLToPath(new URL('./dist-rank.ts', import.meta.url));
const NODE_ARGS = ['--import', 'tsx'];
const STEPS = 4;
const BATCH = 8;

/** A fake 2-rank collective whose peer holds the same values: records the bucket sizes. */
function doubling(): Collective & { calls: number[] } {
  const calls: number[] = [];
  return {
    rank: 0,
    worldSize: 2,
    backend: 'thread',
    calls,
    allReduceSum: (x) => (calls.push(x.length), x.map((v) => 2 * v)),
    broadcast: (x) => x.slice(),
    barrier: () => undefined,
    abort: () => undefined,
  };
}

function maxDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((w, i) => w.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

const runMpi = (data: object, out: string, env: NodeJS.ProcessEnv = {}) =>
  runCaptured('mpirun', ['-n', '2', process.execPath, ...NODE_ARGS, RANK_SCRIPT, JSON.stringify(data), out], { env: { ...MPI_ENV, ...env } });

const readRanks = (out: string): RankResult[] => [0, 1].map((r) => JSON.parse(readFileSync(join(out, `rank${r}.json`), 'utf8')) as RankResult);

describe('collective layer', () => {
  let dir: string;
  const refs: Record<string, RankResult> = {};
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'hrnet-collective-'));
    for (const bn of [false, true]) refs[String(bn)] = await trainToy(undefined, { bn, sync: false, steps: STEPS, batch: BATCH });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const outDir = (name: string) => {
    const d = join(dir, name);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
    return d;
  };

  it('allReduceBuckets: whole parts per bucket (DDP-style), scaled on the way in, promises allowed', async () => {
    const c = doubling();
    const parts = [Float32Array.of(1, 2, 3), Promise.resolve(Float32Array.of(4, 5, 6, 7, 8)), Float32Array.of(9, 10), Float32Array.of(11)];
    const sums = await allReduceBuckets(c, parts, { sizes: [3, 5, 2, 1], bucketFloats: 6, scale: 0.5 });
    expect(c.calls).toEqual([3, 5, 3]); // [3] | [5] (3+5 > 6) | [2, 1]
    expect(sums.map((s) => Array.from(s))).toEqual([[1, 2, 3], [4, 5, 6, 7, 8], [9, 10], [11]]);
    await expect(allReduceBuckets(c, [Float32Array.of(1)], { sizes: [2] })).rejects.toThrow(/part 0 has 1 values, expected 2/);
  });

  it('rank and world size from the launcher, OpenMPI or PMI environment', () => {
    expect(rankFromEnv({})).toBeUndefined();
    expect(rankFromEnv({ OMPI_COMM_WORLD_RANK: '1', OMPI_COMM_WORLD_SIZE: '8' })).toEqual({ launcher: 'mpi', rank: 1, worldSize: 8 });
    expect(rankFromEnv({ PMI_RANK: '3', PMI_SIZE: '4' })).toEqual({ launcher: 'mpi', rank: 3, worldSize: 4 });
    expect(rankFromEnv({ HRNET_DIST_RANK: '0', HRNET_DIST_WORLD_SIZE: '2' })).toEqual({ launcher: 'process', rank: 0, worldSize: 2 });
    expect(() => rankFromEnv({ OMPI_COMM_WORLD_RANK: '2', OMPI_COMM_WORLD_SIZE: '2' })).toThrow(/OMPI_COMM_WORLD_RANK=2 and OMPI_COMM_WORLD_SIZE=2/);
  });

  it('each rank its GPU: CUDA_VISIBLE_DEVICES per rank from --device, the inherited list or the GPU count; --dist auto = one rank per GPU', () => {
    const eight = visibleDevices({ env: {}, gpuCount: 8 });
    expect(eight).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect([0, 1, 7].map((r) => rankDeviceEnv(r, 8, eight))).toEqual([{ CUDA_VISIBLE_DEVICES: '0' }, { CUDA_VISIBLE_DEVICES: '1' }, { CUDA_VISIBLE_DEVICES: '7' }]);
    const inherited = visibleDevices({ env: { CUDA_VISIBLE_DEVICES: '4,6' }, gpuCount: 8 });
    expect([0, 1, 2].map((r) => rankDeviceEnv(r, 3, inherited).CUDA_VISIBLE_DEVICES)).toEqual(['4', '6', '4']);
    const flag = visibleDevices({ devices: [2, 3], env: { CUDA_VISIBLE_DEVICES: '0' } });
    expect(rankDeviceEnv(1, 2, flag, true)).toEqual({ CUDA_VISIBLE_DEVICES: '3' });
    expect(() => rankDeviceEnv(0, 3, flag, true)).toThrow(/--device 2,3 names 2 device\(s\) for 3 ranks/);
    expect(rankDeviceEnv(0, 2, visibleDevices({ env: {}, gpuCount: 0 }))).toEqual({});
    expect(resolveWorldSize('auto', { env: {}, gpuCount: 8 })).toBe(8);
    expect(resolveWorldSize('auto', { env: {}, gpuCount: 0 })).toBe(1);
    expect(resolveWorldSize(3)).toBe(3);
  });

  const launch = (data: object, out: string, timeoutMs?: number) =>
    launchProcesses({ worldSize: 2, script: RANK_SCRIPT, args: [JSON.stringify(data), out], nodeArgs: NODE_ARGS, timeoutMs });

  it('2 local processes train the toy model equal to one process at the doubled batch (1e-6 without BatchNorm, 1e-5 with sync BN)', async () => {
    for (const bn of [false, true]) {
      const out = outDir(`proc-${bn}`);
      await launch({ bn, sync: bn, steps: STEPS, batch: BATCH, backend: 'cpu' }, out);
      const [r0, r1] = readRanks(out);
      expect(r1.weights).toEqual(r0.weights); // bit-identical replicas
      expect(r1.digests).toEqual(r0.digests);
      expect(maxDiff(r0.weights, refs[String(bn)].weights)).toBeLessThan(bn ? 1e-5 : 1e-6);
      r0.losses.forEach((l, i) => expect(Math.abs(l - refs[String(bn)].losses[i])).toBeLessThan(bn ? 1e-5 : 1e-6));
      if (bn) expect(r0.converted).toBe(1);
    }
  }, 240_000);

  it('a killed process rank ends the job within 10 s with one message naming it; a stalled one times out naming it', async () => {
    const out = outDir('proc-kill');
    const run = launchProcesses({
      worldSize: 2,
      script: RANK_SCRIPT,
      args: [JSON.stringify({ bn: false, sync: false, steps: STEPS, batch: BATCH, backend: 'cpu', hangRank: 1, readyFile: join(out, 'ready') }), out],
      nodeArgs: NODE_ARGS,
    });
    // rank 1 writes its pid when it is up; rank 0 then waits for it in the weight broadcast
    const pid = await waitForFile(join(out, 'ready'));
    const killedAt = performance.now();
    process.kill(pid, 'SIGKILL');
    await expect(run).rejects.toThrow(/^data-parallel run failed: rank 1 was killed by SIGKILL; stopped the other ranks$/);
    expect(performance.now() - killedAt).toBeLessThan(10_000);

    const stalled = outDir('proc-stall');
    await expect(launch({ bn: false, sync: false, steps: STEPS, batch: BATCH, backend: 'cpu', hangRank: 1 }, stalled, 2000)).rejects.toThrow(
      /a collective \(broadcast of \d+ floats from rank 0\) timed out after 2 s: rank\(s\) 1 did not reach it/,
    );
  }, 120_000);

  describe.skipIf(!mpiAvailable)('mpirun -n 2 (OpenMPI)', () => {
    it('trains the toy model equal to one process at the doubled batch (1e-6 without BatchNorm, 1e-5 with sync BN)', async () => {
      for (const bn of [false, true]) {
        const out = outDir(`mpi-${bn}`);
        const r = await runMpi({ bn, sync: bn, steps: STEPS, batch: BATCH, backend: 'cpu' }, out);
        expect(r.code, r.out).toBe(0);
        const [r0, r1] = readRanks(out);
        expect(r1.weights).toEqual(r0.weights);
        expect(maxDiff(r0.weights, refs[String(bn)].weights)).toBeLessThan(bn ? 1e-5 : 1e-6);
      }
    }, 240_000);

    it('a killed rank ends both within 10 s (mpirun names it); a stalled one gives a timeout error', async () => {
      const out = outDir('mpi-kill');
      const run = runMpi({ bn: false, sync: false, steps: STEPS, batch: BATCH, backend: 'cpu', hangRank: 1, readyFile: join(out, 'ready') }, out);
      const pid = await waitForFile(join(out, 'ready'));
      const killedAt = performance.now();
      process.kill(pid, 'SIGKILL');
      const r = await run;
      expect(r.code).not.toBe(0);
      expect(performance.now() - killedAt).toBeLessThan(10_000);
      expect(r.out).toMatch(/rank 1 .*(exited on signal 9|Killed)/s);

      const stalled = await runMpi({ bn: false, sync: false, steps: STEPS, batch: BATCH, backend: 'cpu', hangRank: 1 }, outDir('mpi-stall'), { HRNET_DIST_TIMEOUT: '2' });
      expect(stalled.code).not.toBe(0);
      expect(stalled.out).toMatch(/rank 0: MPI (broadcast|all-reduce) timed out after 2 s waiting for the other ranks/);
    }, 120_000);
  });
});

/** Waits (up to 60 s, checking every 100 ms) for a rank to write its pid into `file`. */
async function waitForFile(file: string): Promise<number> {
  for (let i = 0; i < 600; i++) {
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid > 0) return pid;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${file} after 60 s`);
}
