/**
 * Times evaluateKeypoints on synthetic data: 5,000 images x 20 detections (plus ~3 people,
 * some crowd / keypoint-less annotations per image). Run: `npx tsx bench/evaluate-keypoints.bench.ts [images] [detsPerImage]`.
 */
import { performance } from 'node:perf_hooks';
import {
  evaluateKeypoints,
  evaluateKeypointsSync,
  parseCocoKeypoints,
  parseCocoResults,
  type CocoKeypointResult,
  type CocoKeypointsFileInput,
} from '../src/index.js';

const numImages = Number(process.argv[2] ?? 5000);
const detsPerImage = Number(process.argv[3] ?? 20);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function synthesize(): { gt: CocoKeypointsFileInput; dt: CocoKeypointResult[] } {
  const rand = mulberry32(1234);
  const images: CocoKeypointsFileInput['images'] = [];
  const annotations: CocoKeypointsFileInput['annotations'] = [];
  const dt: CocoKeypointResult[] = [];
  let annId = 1;
  for (let i = 0; i < numImages; i++) {
    const imageId = i + 1;
    images.push({ id: imageId, file_name: `${String(imageId).padStart(12, '0')}.jpg`, width: 640, height: 480 });
    const people: { kps: number[]; box: [number, number, number, number] }[] = [];
    const n = 1 + Math.floor(rand() * 5);
    for (let p = 0; p < n; p++) {
      const w = 20 + rand() * 200, h = w * (1.5 + rand());
      const x = rand() * 400, y = rand() * 300;
      const crowd = rand() < 0.05 ? 1 : 0;
      const kps: number[] = [];
      let visible = 0;
      for (let k = 0; k < 17; k++) {
        if (crowd || rand() < 0.2) kps.push(0, 0, 0);
        else {
          kps.push(x + rand() * w, y + rand() * h, 2);
          visible++;
        }
      }
      const box: [number, number, number, number] = [x, y, w, h];
      annotations.push({ id: annId++, image_id: imageId, category_id: 1, iscrowd: crowd, area: w * h * 0.6, bbox: box, num_keypoints: visible, keypoints: kps });
      people.push({ kps, box });
    }
    for (let d = 0; d < detsPerImage; d++) {
      const target = people[Math.floor(rand() * people.length)]!;
      const noise = [1, 4, 12, 40][Math.floor(rand() * 4)]!;
      const kps: number[] = [];
      for (let k = 0; k < 17; k++) {
        const gx = target.kps[3 * k] || target.box[0] + rand() * target.box[2];
        const gy = target.kps[3 * k + 1] || target.box[1] + rand() * target.box[3];
        kps.push(gx + (rand() - 0.5) * noise, gy + (rand() - 0.5) * noise, rand());
      }
      const xs = kps.filter((_, j) => j % 3 === 0), ys = kps.filter((_, j) => j % 3 === 1);
      const x0 = Math.min(...xs), y0 = Math.min(...ys);
      dt.push({ image_id: imageId, category_id: 1, keypoints: kps, score: rand(), bbox: [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0] });
    }
  }
  return { gt: { images, annotations, categories: [{ id: 1, name: 'person', keypoints: Array.from({ length: 17 }, (_, k) => `k${k}`), skeleton: [] }] }, dt };
}

const { gt, dt } = synthesize();
console.log(`synthetic: ${numImages} images, ${gt.annotations.length} annotations, ${dt.length} detections`);

const runs = 5;
let best = Infinity;
for (let run = 0; run < runs; run++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const dataset = parseCocoKeypoints(gt, 'synthetic-gt');
  const results = parseCocoResults(dt, 'synthetic-dt');
  const t1 = performance.now();
  const ev = evaluateKeypointsSync(dataset, results);
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  best = Math.min(best, t2 - t0);
  console.log(
    `run ${run}: validate+index ${(t1 - t0).toFixed(0)} ms, evaluate ${(t2 - t1).toFixed(0)} ms, total ${(t2 - t0).toFixed(0)} ms (process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms); AP ${ev.stats[0]!.toFixed(4)} AR ${ev.stats[5]!.toFixed(4)}`,
  );
}
const t0 = performance.now();
await evaluateKeypoints(gt, dt);
console.log(`evaluateKeypoints (async API, objects in memory): ${(performance.now() - t0).toFixed(0)} ms`);
console.log(`best of ${runs} (validate + evaluate): ${best.toFixed(0)} ms`);
