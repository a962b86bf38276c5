/**
 * The few numpy behaviours that pycocotools' results depend on, bit for bit.
 *
 * - `np.sum` / `np.mean` on a contiguous float64 array use pairwise summation with eight
 *   accumulators, so their rounding differs from a plain left-to-right loop.
 * - `np.linspace` computes `start + i * step` and then overwrites the last value with `stop`.
 * - `np.argsort(-x, kind='mergesort')` is a stable sort on the negated keys.
 */

/** numpy's `pairwise_sum` for float64 (blocks of 128, eight accumulators, n < 8 summed directly). */
function pairwise(a: ArrayLike<number>, lo: number, n: number): number {
  if (n < 8) {
    let res = -0;
    for (let i = 0; i < n; i++) res += a[lo + i]!;
    return res;
  }
  if (n <= 128) {
    let r0 = a[lo]!, r1 = a[lo + 1]!, r2 = a[lo + 2]!, r3 = a[lo + 3]!;
    let r4 = a[lo + 4]!, r5 = a[lo + 5]!, r6 = a[lo + 6]!, r7 = a[lo + 7]!;
    const end = n - (n % 8);
    let i = 8;
    for (; i < end; i += 8) {
      const p = lo + i;
      r0 += a[p]!; r1 += a[p + 1]!; r2 += a[p + 2]!; r3 += a[p + 3]!;
      r4 += a[p + 4]!; r5 += a[p + 5]!; r6 += a[p + 6]!; r7 += a[p + 7]!;
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[lo + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, lo, n2) + pairwise(a, lo + n2, n - n2);
}

/** `np.sum(a[:n])` for a 1-D float64 array (the reduction starts from the identity 0). */
export function npSum(a: ArrayLike<number>, n = a.length): number {
  return 0 + pairwise(a, 0, n);
}

/** `np.mean(a)` for a non-empty 1-D float64 array. */
export function npMean(a: ArrayLike<number>): number {
  return npSum(a) / a.length;
}

/** `np.linspace(start, stop, num)` with `endpoint=True`. */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i * step + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * `np.argsort(-scores, kind='mergesort')`: indices by descending score, ties kept in input
 * order (a stable bottom-up merge sort). Only the first `limit` indices are returned
 * (`dtind[0:maxDet]`).
 */
export function argsortDescStable(scores: ArrayLike<number>, limit = scores.length): Uint32Array {
  const n = scores.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = -scores[i]!;
  let src = new Uint32Array(n);
  let dst = new Uint32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  // keys are -score, compared ascending; "take the right one only if strictly smaller" keeps it stable
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo, j = mid, o = lo;
      while (i < mid && j < hi) {
        if (keys[src[j]!]! < keys[src[i]!]!) dst[o++] = src[j++]!;
        else dst[o++] = src[i++]!;
      }
      while (i < mid) dst[o++] = src[i++]!;
      while (j < hi) dst[o++] = src[j++]!;
    }
    const tmp = src;
    src = dst;
    dst = tmp;
  }
  return limit < n ? src.slice(0, limit) : src;
}
