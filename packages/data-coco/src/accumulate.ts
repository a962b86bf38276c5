import type { ImageEvaluation } from './evaluate-image.js';
import { argsortDescStable } from './numpy-compat.js';

/** `np.spacing(1)`. */
const EPS = 2.220446049250313e-16;

/** Flat, C-ordered results of `COCOeval.accumulate`. */
export interface AccumulatedEval {
  /** `[T, R, K, A, M]`, -1 where a setting has no ground truth. */
  readonly precision: Float64Array;
  /** `[T, K, A, M]`, -1 where a setting has no ground truth. */
  readonly recall: Float64Array;
  /** `[T, R, K, A, M]`, detection score at each recall point. */
  readonly scores: Float64Array;
  /** `[T, R, K, A, M]`. */
  readonly shape: readonly [number, number, number, number, number];
}

/**
 * `COCOeval.accumulate`. `evalImgs` is laid out as pycocotools does: category-major, then
 * area range, then image (`k * A * I + a * I + i`), null where an image had nothing.
 */
export function accumulate(
  evalImgs: readonly (ImageEvaluation | null)[],
  dims: { numCats: number; numAreas: number; numImages: number },
  iouThrs: readonly number[],
  recThrs: readonly number[],
  maxDets: readonly number[],
): AccumulatedEval {
  const T = iouThrs.length;
  const R = recThrs.length;
  const K = dims.numCats;
  const A = dims.numAreas;
  const I = dims.numImages;
  const M = maxDets.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const scores = new Float64Array(T * R * K * A * M).fill(-1);

  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      const E: ImageEvaluation[] = [];
      for (let i = 0; i < I; i++) {
        const e = evalImgs[k * A * I + a * I + i];
        if (e) E.push(e);
      }
      if (E.length === 0) continue;
      let npig = 0;
      for (const e of E) for (let g = 0; g < e.gtIgnore.length; g++) if (e.gtIgnore[g] === 0) npig++;

      for (let m = 0; m < M; m++) {
        if (npig === 0) continue;
        const maxDet = maxDets[m]!;
        // concatenate the top maxDet detections of every image, in image order:
        // scores, and per threshold whether each one is a true / false positive
        let nd = 0;
        for (const e of E) nd += Math.min(e.dtScores.length, maxDet);
        const dtScores = new Float64Array(nd);
        const tps = new Uint8Array(T * nd);
        const fps = new Uint8Array(T * nd);
        let p = 0;
        for (const e of E) {
          const D = e.dtScores.length;
          const n = Math.min(D, maxDet);
          for (let d = 0; d < n; d++, p++) {
            dtScores[p] = e.dtScores[d]!;
            for (let t = 0; t < T; t++) {
              const at = t * D + d;
              if (e.dtIgnore[at]) continue;
              if (e.dtMatches[at] !== 0) tps[t * nd + p] = 1;
              else fps[t * nd + p] = 1;
            }
          }
        }
        const order = argsortDescStable(dtScores);
        const rc = new Float64Array(nd);
        const pr = new Float64Array(nd);
        for (let t = 0; t < T; t++) {
          let tp = 0;
          let fp = 0;
          const row = t * nd;
          for (let j = 0; j < nd; j++) {
            const src = order[j]!;
            tp += tps[row + src]!;
            fp += fps[row + src]!;
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + EPS);
          }
          recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1]! : 0;
          // precision envelope: make it non-increasing from the right
          for (let j = nd - 1; j > 0; j--) if (pr[j]! > pr[j - 1]!) pr[j - 1] = pr[j]!;
          // q[r] = pr[np.searchsorted(rc, recThrs[r], side='left')]; points past the last recall stay 0
          let pi = 0;
          for (let r = 0; r < R; r++) {
            const thr = recThrs[r]!;
            while (pi < nd && rc[pi]! < thr) pi++;
            const at = (((t * R + r) * K + k) * A + a) * M + m;
            if (pi < nd) {
              precision[at] = pr[pi]!;
              scores[at] = dtScores[order[pi]!]!;
            } else {
              precision[at] = 0;
              scores[at] = 0;
            }
          }
        }
      }
    }
  }
  return { precision, recall, scores, shape: [T, R, K, A, M] };
}
