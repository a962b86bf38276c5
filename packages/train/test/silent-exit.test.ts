import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./silent-exit-run.ts', import.meta.url));
const run = (mode: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', script, mode], { timeout: 180_000 }, (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
  });
// tfjs greets on the console when it loads in Node; the rest must be empty.
const withoutBanner = (s: string) => s.replace(/\n*=+\nHi, looks like you are running TensorFlow\.js in Node\.js[^\n]*\n=+\n*/, '');

describe('a run cannot end silently (issue 18: an --amp run exited 0 after 55 s with no epoch line, log or checkpoint)', () => {
  it('a loader whose worker stops answering: Node alone exits 0 without a word; under Trainer.fit the run exits 1 naming what was waiting', async () => {
    const [bare, fit] = await Promise.all([run('bare'), run('fit')]);
    expect([bare.code, withoutBanner(bare.stdout + bare.stderr)]).toEqual([0, '']);
    expect(withoutBanner(fit.stdout)).toBe('');
    expect(withoutBanner(fit.stderr)).toBe(
      'error: the process was about to end while training (Trainer.fit) was still waiting (nothing left that could answer: a worker or I/O that died silently); exit code 1\n',
    );
    expect(fit.code).toBe(1);
  }, 240_000);
});
