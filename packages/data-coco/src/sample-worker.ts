/**
 * Worker-thread entry of {@link SampleWorkerPool}: makes training samples from plain
 * {@link SampleSpec}s and sends the arrays back as transferables.
 */
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import type { HigherHrnetDataConfig } from './training-sample.js';
import { makeTrainingSample, type SampleSpec } from './training-sample-spec.js';

export interface SampleTaskMessage {
  id: number;
  spec: SampleSpec;
  seed: number;
}

if (!parentPort) throw new Error('sample-worker must run in a worker thread');
const port = parentPort;
const { config, sharpConcurrency } = workerData as { config: HigherHrnetDataConfig; sharpConcurrency: number };
sharp.concurrency(sharpConcurrency);
sharp.cache(false);

port.on('message', (msg: SampleTaskMessage) => {
  makeTrainingSample(msg.spec, config, msg.seed).then(
    (s) => {
      const transfer = [s.image.buffer, ...s.heatmaps.map((a) => a.buffer), ...s.masks.map((a) => a.buffer), ...s.joints.map((a) => a.buffer)];
      port.postMessage(
        { id: msg.id, ok: true, image: s.image, heatmaps: s.heatmaps, masks: s.masks, joints: s.joints, params: s.params },
        transfer as ArrayBuffer[],
      );
    },
    (err: unknown) => {
      const e = err as Error & { path?: string };
      port.postMessage({ id: msg.id, ok: false, name: e?.name ?? 'Error', message: e?.message ?? String(err), path: e?.path ?? msg.spec.path });
    },
  );
});
