import { activeBackend, initBackend } from '@hrnet/core';
import { runtimeModel, type Runtime } from '@hrnet/deploy';
import type { ImageBatch } from '@hrnet/data-imagenet';
import { SGD, Trainer } from '@hrnet/train';
import { buildModel, classifierTask, loadWeights, scanDataset, valLoader } from './build.js';
import type { ClassificationConfig } from './config.js';

export interface ValidateResult {
  backend: string;
  /** 'checkpoint' (ours) or 'timm' (PyTorch / safetensors weights). */
  weights: 'checkpoint' | 'timm';
  numClasses: number;
  /** Where the model ran: tfjs (on `backend`) or onnxruntime-node. */
  runtime: Runtime;
  samples: number;
  loss: number;
  top1: number;
  top5?: number;
  seconds: number;
}

/** MindCV's validate.py: the val split through the eval transform, loss and top-1/top-5. */
export async function validateClassifier(
  cfg: ClassificationConfig,
  { datadir, ckptPath, batchSize, runtime, log = (l: string) => console.log(l) }: { datadir: string; ckptPath: string; batchSize?: number; runtime?: Runtime; log?: (l: string) => void },
): Promise<ValidateResult> {
  const t0 = performance.now();
  await initBackend(cfg.backend, { log });
  // The kind chosen ('native' where tfjs reports 'wasm'), for the status lines.
  const backend = activeBackend()!.kind;
  const { val, classes } = await scanDataset(cfg, datadir, { needTrain: false });
  const numClasses = cfg.model.num_classes ?? classes.length;
  const model = buildModel(cfg, numClasses);
  const weights = await loadWeights(model, ckptPath);
  log(`[model] ${cfg.model.name ?? 'HRNet from model.cfg'}: ${numClasses} classes, ${weights} weights from ${ckptPath}`);
  const net = await runtimeModel(model, { runtime });
  const data = valLoader(cfg, val, batchSize);
  // The recipe's batch is evaluated in micro-batches that fit (MindCV's 128 per device x 8 is 1024 images).
  const trainer = new Trainer<ImageBatch>({ task: classifierTask(cfg, model), optimizer: new SGD({ learningRate: 0 }), progress: 'none', microBatch: { size: cfg.micro_batch } });
  try {
    const r = await trainer.evaluate(data, 0, net.runtime === 'onnx' ? (x) => net.predict(x) : undefined);
    if (data.skippedCount) log(`[data] skipped ${data.skippedCount} corrupt image(s)`);
    return { backend, weights, numClasses, runtime: net.runtime, samples: r.samples, loss: r.loss, top1: r.metrics.top1, top5: r.metrics.top5, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await data.close();
    await net.dispose();
    model.dispose();
  }
}
