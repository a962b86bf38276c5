import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conv2d, initBackend, loadModelFromDir, saveModelToDir } from '../../src/index.js';

// loadModelFromDir on a URL: what a browser page does (there relative URLs too), here over http from 127.0.0.1.
describe('loadModelFromDir from a URL', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const requested: string[] = [];

  beforeAll(async () => {
    await initBackend('cpu', { log: () => undefined });
    dir = await mkdtemp(join(tmpdir(), 'hrnet-model-url-'));
    server = createServer(async (req, res) => {
      requested.push(req.url!);
      const body = await readFile(join(dir, req.url!.replace(/^\/model\//, ''))).catch(() => undefined);
      if (body) res.writeHead(200).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/model/`;
  });

  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fetches model.json and the weight files it lists; the model equals the saved one', async () => {
    const input = tf.input({ shape: [4, 4, 2] });
    const model = tf.model({ inputs: input, outputs: new Conv2d({ filters: 3, kernelSize: 3, padding: 1, name: 'conv' }).apply(input) as tf.SymbolicTensor });
    await saveModelToDir(model, dir);
    const loaded = await loadModelFromDir(base);
    expect(requested).toEqual(['/model/model.json', '/model/weights.bin']);
    const x = tf.randomUniform([1, 4, 4, 2], -1, 1, 'float32', 3);
    expect(await (loaded.predict(x) as tf.Tensor).data()).toEqual(await (model.predict(x) as tf.Tensor).data());
    x.dispose();
    model.dispose();
    loaded.dispose();
  });
});
