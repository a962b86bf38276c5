import type { AccumulatedEval } from './accumulate.js';
import { npMean } from './numpy-compat.js';

/** Names of the ten keypoint stats, in pycocotools order. */
export const KEYPOINT_STAT_NAMES = ['AP', 'AP50', 'AP75', 'APm', 'APl', 'AR', 'AR50', 'AR75', 'ARm', 'ARl'] as const;
export type KeypointStatName = (typeof KEYPOINT_STAT_NAMES)[number];

export interface SummarizeParams {
  readonly iouThrs: readonly number[];
  readonly areaRngLbl: readonly string[];
  readonly maxDets: readonly number[];
}

interface StatSpec {
  ap: boolean;
  iouThr?: number;
  area: string;
}

const KEYPOINT_STATS: readonly StatSpec[] = [
  { ap: true, area: 'all' },
  { ap: true, iouThr: 0.5, area: 'all' },
  { ap: true, iouThr: 0.75, area: 'all' },
  { ap: true, area: 'medium' },
  { ap: true, area: 'large' },
  { ap: false, area: 'all' },
  { ap: false, iouThr: 0.5, area: 'all' },
  { ap: false, iouThr: 0.75, area: 'all' },
  { ap: false, area: 'medium' },
  { ap: false, area: 'large' },
];

const MAX_DETS = 20;

/**
 * One `_summarize` value: the mean of the precision (or recall) entries that are not -1, over
 * the selected thresholds, recall points and categories, in numpy's C order; -1 if none.
 */
export function summarizeOne(acc: AccumulatedEval, p: SummarizeParams, spec: StatSpec, maxDets = MAX_DETS): number {
  const [T, R, K, A, M] = acc.shape;
  const ts = spec.iouThr === undefined ? [...Array(T).keys()] : [...Array(T).keys()].filter((t) => p.iouThrs[t] === spec.iouThr);
  const as = p.areaRngLbl.flatMap((l, i) => (l === spec.area ? [i] : []));
  const ms = p.maxDets.flatMap((d, i) => (d === maxDets ? [i] : []));
  const picked: number[] = [];
  for (const t of ts) {
    if (spec.ap) {
      for (let r = 0; r < R; r++)
        for (let k = 0; k < K; k++)
          for (const a of as)
            for (const m of ms) {
              const v = acc.precision[(((t * R + r) * K + k) * A + a) * M + m]!;
              if (v > -1) picked.push(v);
            }
    } else {
      for (let k = 0; k < K; k++)
        for (const a of as)
          for (const m of ms) {
            const v = acc.recall[((t * K + k) * A + a) * M + m]!;
            if (v > -1) picked.push(v);
          }
    }
  }
  return picked.length === 0 ? -1 : npMean(picked);
}

/** `COCOeval.summarize()` for iouType 'keypoints': the ten stats. */
export function summarizeKeypoints(acc: AccumulatedEval, p: SummarizeParams): number[] {
  return KEYPOINT_STATS.map((spec) => summarizeOne(acc, p, spec));
}

/** AP (area 'all', maxDets 20) at each OKS threshold separately. */
export function apPerThreshold(acc: AccumulatedEval, p: SummarizeParams): number[] {
  return p.iouThrs.map((thr) => summarizeOne(acc, p, { ap: true, iouThr: thr, area: 'all' }));
}

/** Python's `'{:0.Nf}'.format(x)`: like toFixed, but exact binary ties round half to even. */
export function formatFixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  if (!Number.isFinite(x)) return s;
  const scaled = Math.abs(x) * 10 ** digits;
  // An exact tie needs scaled = n + 0.5 exactly; check with the exact decimal expansion.
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 60));
  const tail = exact.slice(exact.indexOf('.') + 1 + digits);
  if (!/^50*$/.test(tail)) return s;
  const lower = Math.floor(scaled);
  const n = lower % 2 === 0 ? lower : lower + 1;
  const str = (n / 10 ** digits).toFixed(digits);
  return x < 0 && n !== 0 ? `-${str}` : str;
}

/** The ten lines `COCOeval.summarize()` prints for keypoints. */
export function formatKeypointSummary(stats: readonly number[], p: SummarizeParams): string[] {
  return KEYPOINT_STATS.map((spec, i) => {
    const title = spec.ap ? 'Average Precision' : 'Average Recall';
    const type = spec.ap ? '(AP)' : '(AR)';
    const iou =
      spec.iouThr === undefined
        ? `${formatFixed(p.iouThrs[0]!, 2)}:${formatFixed(p.iouThrs[p.iouThrs.length - 1]!, 2)}`
        : formatFixed(spec.iouThr, 2);
    return ` ${title.padEnd(18)} ${type} @[ IoU=${iou.padEnd(9)} | area=${spec.area.padStart(6)} | maxDets=${String(MAX_DETS).padStart(3)} ] = ${formatFixed(stats[i]!, 3)}`;
  });
}
