import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@hrnet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/index.js';
import { FAULT_EPOCHS, faultRun } from './fault-training.js';

const script = fileURLToPath(new URL('./fault-training.ts', import.meta.url));
const KILLS = 20;

/** Starts the run; SIGKILLs it `delayMs` after its first update. Resolves with how it ended. */
function runAndKill(dir: string, log: string, delayMs: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, log], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('finished');
      else reject(new Error(`run exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

describe('fault injection (issue 18)', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'hrnet-fault-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it(`${KILLS} seeded SIGKILLs of a training run: no corrupt checkpoint, no stale temp file after the next start, and every logged loss equals the uninterrupted run's`, async () => {
    const reference = new Map<number, number>();
    await faultRun(join(dir, 'reference'), (step, loss) => reference.set(step, loss));
    expect(reference.size).toBe(FAULT_EPOCHS * 5);

    const ckpt = join(dir, 'killed');
    const log = join(dir, 'losses.txt');
    const rng = createRng(18);
    let kills = 0;
    let attempts = 0;
    while (kills < KILLS && attempts < 3 * KILLS) {
      attempts++;
      // From its first update a run needs ~0.2-1 s (load-dependent): the delays land mid-step, mid-checkpoint, mid-prune.
      if ((await runAndKill(ckpt, log, Math.floor(rng.next() * 250))) === 'killed') kills++;
      for (const f of (await readdir(ckpt).catch(() => [] as string[])).filter((n) => n.endsWith('.safetensors'))) {
        await expect(loadCheckpoint(join(ckpt, f)), f).resolves.toBeDefined();
      }
      // A finished run leaves nothing to do: start over so every attempt can be killed mid-run.
      if ((await readdir(ckpt).catch(() => [] as string[])).includes(`ckpt-epoch${String(FAULT_EPOCHS).padStart(4, '0')}.safetensors`)) {
        await rm(ckpt, { recursive: true, force: true });
      }
    }
    expect(kills).toBe(KILLS);
    expect(await runAndKill(ckpt, log, 60_000)).toBe('finished');
    expect((await readdir(ckpt)).filter((n) => n.includes('.tmp-'))).toEqual([]);

    // Every step any attempt logged (a killed one may end in a partial line) has the uninterrupted run's loss.
    const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => /^\d+ \S+$/.test(l));
    let compared = 0;
    for (const l of lines) {
      const [step, loss] = l.split(' ').map(Number);
      if (!reference.has(step) || Number.isNaN(loss)) continue;
      expect(loss, `step ${step}`).toBeCloseTo(reference.get(step)!, 6);
      compared++;
    }
    expect(compared).toBeGreaterThan(FAULT_EPOCHS * 5);
  }, 600_000);
});
