/**
 * `node --import tsx hostile-peak-run.ts [file...]`: reads each weight file (expecting a refusal), then prints
 * `<peak RSS in MiB>` and each refusal's message, one per line. With no file it measures the bare import.
 */
import { readPytorchCheckpoint } from '../../src/weights/pytorch-checkpoint.js';

const lines: string[] = [];
for (const file of process.argv.slice(2)) {
  const err = await readPytorchCheckpoint(file).then(
    () => new Error('accepted'),
    (e: unknown) => e as Error,
  );
  lines.push(err.message);
}
console.log([(process.resourceUsage().maxRSS / 1024).toFixed(0), ...lines].join('\n'));
