/**
 * Worker-thread entry of {@link SampleWorkerPool}: loads the family's encoder from its plain-data ref, makes
 * training samples from plain {@link SampleSpec}s and sends the arrays back as transferables.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KeypointEncoderRef } from '@hrnet/core';
import sharp from 'sharp';
import type { KeypointPipelineConfig } from './keypoint-sample.js';
import { loadKeypointEncoder } from './load-encoder.js';
import { makeTrainingSample, type SampleSpec } from './training-sample-spec.js';

export interface SampleTaskMessage {
  id: number;
  spec: SampleSpec;
  seed: number;
}

if (!parentPort) throw new Error('sample-worker must run in a worker thread');
const port = parentPort;
const { config, encoderRef, sharpConcurrency } = workerData as { config: KeypointPipelineConfig; encoderRef: KeypointEncoderRef; sharpConcurrency: number };
sharp.concurrency(sharpConcurrency);
sharp.cache(false);
const encoder = loadKeypointEncoder(encoderRef);

port.on('message', (msg: SampleTaskMessage) => {
  encoder
    .then((e) => makeTrainingSample(msg.spec, config, e, msg.seed))
    .then(
      (s) => {
        const transfer = [s.sample.image.buffer, ...Object.values(s.targets).flatMap((list) => list.map((t) => t.data.buffer))];
        port.postMessage({ id: msg.id, ok: true, image: s.sample.image, targets: s.targets, params: s.params }, transfer as ArrayBuffer[]);
      },
      (err: unknown) => {
        const e = err as Error & { path?: string };
        port.postMessage({ id: msg.id, ok: false, name: e?.name ?? 'Error', message: e?.message ?? String(err), path: e?.path ?? msg.spec.path });
      },
    );
});
