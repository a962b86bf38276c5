import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CocoFormatError,
  evaluateKeypoints,
  evaluateKeypointsSync,
  loadCocoKeypoints,
  type CocoKeypointResult,
  type KeypointEvaluation,
} from '../src/index.js';
import { fixture } from './fixture-paths.js';

const readJson = (...p: string[]) => JSON.parse(readFileSync(fixture(...p), 'utf8'));

interface StatsJson {
  stats_list: number[];
  summary_text: string[];
  ap_per_oks_threshold_all_areas: Record<string, number>;
  oks_matrices: { image_id: number; dt_ids_rows: number[]; gt_ids_cols: number[]; oks: number[][] }[];
}

const maxAbsDiff = (a: readonly number[], b: readonly number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

/** Non-empty OKS matrices as nested rows. */
function oksRows(ev: KeypointEvaluation) {
  return ev.ious
    .filter((m) => m.oks.length > 0)
    .map((m) => ({
      image_id: m.imageId,
      category_id: m.categoryId,
      dtIds: m.dtIds,
      gtIds: m.gtIds,
      rows: m.dtIds.map((_, i) => Array.from(m.oks.subarray(i * m.gtIds.length, (i + 1) * m.gtIds.length))),
    }));
}

describe('evaluateKeypoints vs pycocotools (HigherHRNet fixture)', () => {
  const expected = readJson('stats.json') as StatsJson;

  it('reproduces the 10 stats bit for bit', async () => {
    const ev = await evaluateKeypoints(fixture('gt.json'), fixture('dt.json'));
    expect(ev.stats).toHaveLength(10);
    // Tolerance 0: every stat is the same double pycocotools printed with repr().
    expect(maxAbsDiff(ev.stats, expected.stats_list)).toBe(0);
    expect(ev.stats).toEqual(expected.stats_list);
    expect(ev.statsByName.AP).toBe(expected.stats_list[0]);
    expect(ev.statsByName.ARl).toBe(expected.stats_list[9]);
  });

  it('reproduces AP per OKS threshold and the printed summary', async () => {
    const ev = await evaluateKeypoints(fixture('gt.json'), fixture('dt.json'));
    expect(ev.params.iouThrs.map((t) => t.toFixed(2))).toEqual(Object.keys(expected.ap_per_oks_threshold_all_areas));
    expect(ev.apPerOksThreshold).toEqual(Object.values(expected.ap_per_oks_threshold_all_areas));
    expect(ev.summary.map((l) => l.trim())).toEqual(expected.summary_text.map((l) => l.trim()));
  });

  it('reproduces the OKS matrices (row order by score, ids from loadRes) to the 6 decimals stored', async () => {
    const ev = await evaluateKeypoints(fixture('gt.json'), fixture('dt.json'));
    const mine = oksRows(ev);
    expect(mine.map((m) => m.image_id)).toEqual(expected.oks_matrices.map((m) => m.image_id));
    for (const [i, ref] of expected.oks_matrices.entries()) {
      expect(mine[i]!.dtIds).toEqual(ref.dt_ids_rows);
      expect(mine[i]!.gtIds).toEqual(ref.gt_ids_cols);
      mine[i]!.rows.forEach((row, r) => row.forEach((v, c) => expect(Math.abs(v - ref.oks[r]![c]!)).toBeLessThanOrEqual(5e-7)));
    }
    // the crowd region (gt 8, no keypoints) absorbs detections: OKS 1 via the enlarged-box rule
    const img105 = mine.find((m) => m.image_id === 105)!;
    expect(img105.rows.map((r) => r[3]! > 0.999)).toEqual([false, true, true]);
    // every (image, category) pair is listed, empty where pycocotools stores []
    expect(ev.ious.map((m) => m.imageId)).toEqual([101, 102, 103, 104, 105, 106]);
    expect(ev.ious.find((m) => m.imageId === 104)!.oks).toHaveLength(0);
  });

  it('accepts the ground truth as a path, a raw object or a loaded dataset, and results as a path or an array', async () => {
    const gtRaw = readJson('gt.json');
    const dtRaw = readJson('dt.json') as CocoKeypointResult[];
    const loaded = await loadCocoKeypoints(fixture('gt.json'));
    const a = await evaluateKeypoints(gtRaw, dtRaw);
    const b = await evaluateKeypoints(loaded, fixture('dt.json'));
    const c = evaluateKeypointsSync(loaded, dtRaw);
    expect(a.stats).toEqual(expected.stats_list);
    expect(b.stats).toEqual(expected.stats_list);
    expect(c.stats).toEqual(expected.stats_list);
    expect(a.precision).toEqual(c.precision);
  });

  it('returns the pycocotools array shapes: precision [T][R][K][A][M], recall [T][K][A][M]', async () => {
    const ev = await evaluateKeypoints(fixture('gt.json'), fixture('dt.json'));
    expect([ev.precision.length, ev.precision[0]!.length, ev.precision[0]![0]!.length, ev.precision[0]![0]![0]!.length, ev.precision[0]![0]![0]![0]!.length]).toEqual([10, 101, 1, 3, 1]);
    expect([ev.recall.length, ev.recall[0]!.length, ev.recall[0]![0]!.length, ev.recall[0]![0]![0]!.length]).toEqual([10, 1, 3, 1]);
    expect(ev.params.areaRng).toEqual([[0, 1e10], [1024, 9216], [9216, 1e10]]);
    expect(ev.params.maxDets).toEqual([20]);
    expect(ev.params.recThrs[7]).toBe(0.07);
  });
});

describe('evaluateKeypoints vs pycocotools (random cases)', () => {
  for (const seed of [108, 194, 238]) {
    it(`seed ${seed}: stats, AP per threshold, precision and recall bit for bit; OKS to 1e-15 relative`, async () => {
      const dir = `pycocotools-random/seed-${seed}`;
      const expected = readJson(dir, 'expected.json');
      const ev = await evaluateKeypoints(fixture(dir, 'gt.json'), fixture(dir, 'dt.json'));
      expect(ev.stats).toEqual(expected.stats);
      expect(ev.apPerOksThreshold).toEqual(expected.ap_per_oks_threshold_all_areas);
      expect(ev.recall).toEqual(expected.recall);
      expect(ev.precision).toEqual(expected.precision);
      const mine = oksRows(ev);
      expect(mine.map((m) => [m.image_id, m.category_id])).toEqual(
        expected.oks_matrices.map((m: { image_id: number; category_id: number }) => [m.image_id, m.category_id]),
      );
      let worst = 0;
      mine.forEach((m, i) =>
        m.rows.forEach((row, r) =>
          row.forEach((v, c) => {
            const ref = expected.oks_matrices[i].oks[r][c] as number;
            if (v !== ref) worst = Math.max(worst, Math.abs(v - ref) / Math.abs(ref));
          }),
        ),
      );
      expect(worst).toBeLessThan(1e-15);
    });
  }
});

describe('evaluateKeypoints edge cases', () => {
  it('scores an empty result list as nothing detected (pycocotools would fail on it)', async () => {
    const ev = await evaluateKeypoints(fixture('gt.json'), []);
    // every area range has non-ignored ground truth here, so 0 rather than -1
    expect(ev.stats).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('gives -1 for settings without ground truth', async () => {
    const gt = readJson('gt.json');
    gt.annotations = gt.annotations.filter((a: { area: number }) => a.area > 96 * 96); // no medium people left
    const ev = await evaluateKeypoints(gt, readJson('dt.json'));
    expect(ev.statsByName.APm).toBe(-1);
    expect(ev.statsByName.ARm).toBe(-1);
    expect(ev.statsByName.AP).toBeGreaterThan(0);
  });

  it('restricts to imgIds / catIds like params.imgIds / params.catIds', async () => {
    const ev = await evaluateKeypoints(fixture('gt.json'), fixture('dt.json'), { imgIds: [106, 101, 106] });
    expect(ev.params.imgIds).toEqual([101, 106]);
    expect(ev.ious.map((m) => m.imageId)).toEqual([101, 106]);
    const none = await evaluateKeypoints(fixture('gt.json'), fixture('dt.json'), { catIds: [2] });
    expect(none.stats.every((s) => s === -1)).toBe(true);
  });

  it('rejects results for images outside the ground truth and wrong keypoint counts, naming the result', async () => {
    const dt = readJson('dt.json') as CocoKeypointResult[];
    await expect(evaluateKeypoints(fixture('gt.json'), [...dt, { ...dt[0]!, image_id: 999 }])).rejects.toThrow(
      'results[13] (image_id 999).image_id: image 999 is not in the ground truth',
    );
    const short = dt.map((d, i) => (i === 3 ? { ...d, keypoints: d.keypoints.slice(0, 48) } : d));
    await expect(evaluateKeypoints(fixture('gt.json'), short)).rejects.toThrow(
      'results[3] (image_id 102).keypoints: expected 51 numbers, got 48',
    );
    const noBox = dt.map((d, i) => (i === 5 ? { ...d, bbox: undefined } : d));
    await expect(evaluateKeypoints(fixture('gt.json'), noBox)).rejects.toBeInstanceOf(CocoFormatError);
  });

  it('takes the detection area from its bbox when results[0] has one, otherwise from the keypoint extent', async () => {
    const dt = readJson('dt.json') as CocoKeypointResult[];
    // a huge box turns the 'medium' detections into 'large' ones, which changes APm
    const bigBoxes = dt.map((d) => ({ ...d, bbox: [d.bbox![0], d.bbox![1], 500, 500] as [number, number, number, number] }));
    const withBig = await evaluateKeypoints(fixture('gt.json'), bigBoxes);
    expect(withBig.statsByName.APm).not.toBe(readJson('stats.json').stats_list[3]);
    // without any bbox the extent of the keypoints is used: the fixture's boxes are that extent
    const noBoxes = dt.map(({ bbox: _bbox, ...rest }) => rest);
    const ev = await evaluateKeypoints(fixture('gt.json'), noBoxes);
    expect(ev.stats).toEqual(readJson('stats.json').stats_list);
  });
});
