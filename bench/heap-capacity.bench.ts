/**
 * The largest batch whose training step fits in the wasm heap (4 GB at most, tfjs's own tensors and
 * the native kernels' outputs all live there) for HRNet classifiers and HigherHRNet.
 *
 *   npx tsx bench/heap-capacity.bench.ts [--backend native] [--cases hrnet_w32@224,higherhrnet_w32_512@512] [--max 128] [--grads core|tfjs]
 *
 * `--grads` picks the training step: @hrnet/core's (what @hrnet/train uses: `applyTraining` frees each
 * layer output once its last consumer has run, `variableGrads` each gradient and saved activation once
 * used) or tfjs's stock `model.apply(x, { training: true })` + `tf.variableGrads` (keep all until the end).
 *
 * Each batch size is tried in a fresh child process (a failed allocation can leave the wasm backend
 * unusable): one SGD step (forward, backward, update) at that batch; the trial fails when wasm's malloc
 * returns null, when anything throws, or when the loss is not finite. Batches double until one fails,
 * then bisect. Prints the heap's high-water mark of every trial.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    cases: { type: 'string', default: 'hrnet_w32@224,higherhrnet_w32_512@512' },
    max: { type: 'string', default: '128' },
    grads: { type: 'string', default: 'core' },
    trial: { type: 'boolean', default: false },
    model: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
  },
});

interface Trial {
  ok: boolean;
  batch: number;
  heapMB?: number;
  seconds?: number;
  error?: string;
}

async function trial(model: string, size: number, batch: number, backend: string, grads: string): Promise<Trial> {
  const tf = await import('@tensorflow/tfjs');
  const { applyTraining, initBackend, variableGrads } = await import('@hrnet/core/backend');
  const differentiate = grads === 'tfjs' ? tf.variableGrads : variableGrads;
  const heads = await import('@hrnet/heads');
  await initBackend(backend as 'native', { log: () => {} });
  const wasm = (tf.findBackend('wasm') as unknown as { wasm: { _malloc(n: number): number; HEAPU8: Uint8Array } }).wasm;
  let failedAlloc = 0;
  const malloc = wasm._malloc.bind(wasm);
  wasm._malloc = (n: number) => {
    const p = malloc(n);
    if (p === 0 && n > 0) {
      failedAlloc = n;
      throw new RangeError(`wasm malloc(${n}) failed: heap exhausted`);
    }
    return p;
  };
  const higher = model.startsWith('higherhrnet');
  const net = higher ? heads.createHigherHRNet(model) : heads.createClassifier(model, { numClasses: 1000, inputShape: [size, size, 3] });
  const opt = tf.train.momentum(0.01, 0.9);
  const x = tf.randomNormal([batch, size, size, 3]);
  const t0 = performance.now();
  let loss = NaN;
  try {
    const { value, grads: g } = differentiate(() => {
      const out = grads === 'tfjs' ? (net.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]) : applyTraining(net, x);
      // The losses' own tensors are small next to the network's: a mean of squares stands in for them.
      return tf.addN((Array.isArray(out) ? out : [out]).map((o) => tf.mean(tf.square(o)))) as tf.Scalar;
    });
    opt.applyGradients(g as tf.NamedTensorMap);
    loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(g)] as tf.Tensor[]);
  } catch (e) {
    return { ok: false, batch, heapMB: wasm.HEAPU8.buffer.byteLength / 2 ** 20, error: failedAlloc ? `malloc(${failedAlloc}) failed` : String((e as Error).message).slice(0, 200) };
  }
  const heapMB = wasm.HEAPU8.buffer.byteLength / 2 ** 20;
  if (!Number.isFinite(loss)) return { ok: false, batch, heapMB, error: `loss ${loss}` };
  return { ok: true, batch, heapMB, seconds: (performance.now() - t0) / 1000 };
}

function runChild(model: string, size: number, batch: number): Trial {
  const self = fileURLToPath(import.meta.url);
  try {
    const out = execFileSync(process.execPath, [...process.execArgv, self, '--trial', '--model', model, '--size', String(size), '--batch', String(batch), '--backend', values.backend!, '--grads', values.grads!], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 1 << 24,
    });
    const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    return line ? (JSON.parse(line) as Trial) : { ok: false, batch, error: 'no result' };
  } catch (e) {
    const out = String((e as { stdout?: string }).stdout ?? '');
    const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    return line ? (JSON.parse(line) as Trial) : { ok: false, batch, error: `child failed (${(e as Error).message.split('\n')[0].slice(0, 120)})` };
  }
}

if (values.trial) {
  const r = await trial(values.model!, Number(values.size), Number(values.batch), values.backend!, values.grads!);
  console.log(JSON.stringify(r));
  process.exit(0);
}

const max = Number(values.max);
for (const c of values.cases!.split(',')) {
  const [model, sizeStr] = c.split('@');
  const size = Number(sizeStr);
  const log = (r: Trial) =>
    console.log(`  ${model} @${size} batch ${String(r.batch).padStart(3)}: ${r.ok ? 'fits' : 'FAILS'}  heap ${r.heapMB?.toFixed(0) ?? '?'} MB${r.seconds ? `  step ${r.seconds.toFixed(1)} s` : ''}${r.error ? `  (${r.error})` : ''}`);
  console.log(`${model} @${size} on ${values.backend}, ${values.grads} backward pass:`);
  let good = 0;
  let bad = 0;
  for (let b = 1; b <= max; b *= 2) {
    const r = runChild(model, size, b);
    log(r);
    if (r.ok) good = b;
    else {
      bad = b;
      break;
    }
  }
  while (bad && bad - good > 1) {
    const b = Math.floor((good + bad) / 2);
    const r = runChild(model, size, b);
    log(r);
    if (r.ok) good = b;
    else bad = b;
  }
  console.log(`=> ${model} @${size}: largest training batch that fits: ${good}${bad ? '' : ` (or more: ${max} fits)`}`);
}
