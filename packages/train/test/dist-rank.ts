/**
 * One rank of the toy run as its own process (started by mpirun or `launchProcesses`), or the single-process
 * reference when started alone: `tsx dist-rank.ts '<FixtureData + backend JSON>' <out dir>`; each rank writes
 * `<out dir>/rank<r>.json`. rank `hangRank` never reaches a collective (it writes its pid to `readyFile` for the fault tests to kill it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hrnet/core';
import { joinWorld, rankAdapter } from '../src/index.js';
import { trainToy, type FixtureData } from './dist-toy.js';

const [json, out] = process.argv.slice(2);
const data = JSON.parse(json) as FixtureData & { backend: 'cpu' | 'webgpu'; hangRank?: number; readyFile?: string };
const comm = await joinWorld();
const rank = comm?.rank ?? 0;
if (data.backend === 'webgpu') {
  // each rank its adapter (CI: both ranks on lavapipe's one adapter)
  await initBackend('webgpu', { adapter: await rankAdapter(rank), log: () => undefined });
} else await tf.setBackend('cpu');
if (data.hangRank === rank) {
  if (data.readyFile) writeFileSync(data.readyFile, String(process.pid));
  setInterval(() => undefined, 1000); // stays alive, never reaches a collective
} else {
  const result = await trainToy(comm && { rank, worldSize: comm.worldSize, comm }, data);
  writeFileSync(join(out, `rank${rank}.json`), JSON.stringify(result));
}
