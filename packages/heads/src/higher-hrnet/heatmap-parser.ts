/**
 * HigherHRNet's `HeatmapParser` (lib/core/group.py): NMS, top-k candidates per joint, associative-embedding
 * grouping (`match_by_tag`, Hungarian assignment with the `munkres` package's tie-breaking), quarter-pixel
 * adjustment, person scores and the refinement that fills missing joints.
 *
 * Inputs are one image's final heatmaps `[J, H, W]` and tags `[J, H, W, T]` (or `[1, H, W, T]` without
 * a tag map per joint), both row-major float32 and finite. A person is a `J x (3 + T)` row-major array
 * `[x, y, value, tag_0 .. tag_{T-1}]` per joint in map pixels, all zeros for a missing joint.
 */
import { roundHalfEven } from '@hrnet/core';
import { munkres } from './hungarian.js';

/** COCO joint visiting order of the grouping: head, shoulders, hips, then the limbs outwards. */
export const COCO_JOINT_ORDER: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 11, 12, 7, 8, 9, 10, 13, 14, 15, 16];

export interface HeatmapParserOptions {
  /** DATASET.MAX_NUM_PEOPLE: candidates per joint and size of the matching pool, default 30. */
  maxNumPeople?: number;
  /** TEST.DETECTION_THRESHOLD, default 0.1. */
  detectionThreshold?: number;
  /** TEST.TAG_THRESHOLD, default 1. */
  tagThreshold?: number;
  /** TEST.USE_DETECTION_VAL, default true: cost `round(d) * 100 - value` instead of `d`. */
  useDetectionVal?: boolean;
  /** TEST.IGNORE_TOO_MUCH, default false. */
  ignoreTooMuch?: boolean;
  /** TEST.NMS_KERNEL / NMS_PADDING, default 5 / 2. */
  nmsKernel?: number;
  nmsPadding?: number;
  /** Joint visiting order, default `COCO_JOINT_ORDER` (or 0..J-1 when J != 17). */
  jointOrder?: readonly number[];
  /** TEST.ADJUST / TEST.REFINE, default true. */
  adjust?: boolean;
  refine?: boolean;
}

/** Shape of the parser's inputs. */
export interface ParserInputShape {
  numJoints: number;
  height: number;
  width: number;
  /** Size of the trailing tag axis (2 with flip test, 1 without). */
  tagDims: number;
  /** Tag planes: `numJoints` (one per joint, default) or 1 (shared). */
  tagChannels?: number;
}

export interface TopK {
  /** `[J, K]` candidate values, largest first. */
  values: Float32Array;
  /** `[J, K]` flat pixel index `y * W + x`. */
  indices: Int32Array;
  /** `[J, K, T]` tag vectors at the candidates. */
  tags: Float32Array;
  k: number;
}

export interface ParseResult {
  /** People in creation order, each `J x (3 + T)` float32 (see the module comment). */
  people: Float32Array[];
  /** Person scores: mean of the J values after adjust, before refine. */
  scores: number[];
  /** Row length of a person: `3 + T`. */
  stride: number;
}

interface Resolved {
  maxNumPeople: number;
  detectionThreshold: number;
  tagThreshold: number;
  useDetectionVal: boolean;
  ignoreTooMuch: boolean;
  nmsKernel: number;
  nmsPadding: number;
  jointOrder: readonly number[];
  adjust: boolean;
  refine: boolean;
}

function resolve(numJoints: number, o: HeatmapParserOptions): Resolved {
  const jointOrder = o.jointOrder ?? (numJoints === 17 ? COCO_JOINT_ORDER : Array.from({ length: numJoints }, (_, i) => i));
  if (jointOrder.length !== numJoints) throw new Error(`heatmap parser: jointOrder has ${jointOrder.length} entries for ${numJoints} joints`);
  return {
    maxNumPeople: o.maxNumPeople ?? 30,
    detectionThreshold: o.detectionThreshold ?? 0.1,
    tagThreshold: o.tagThreshold ?? 1,
    useDetectionVal: o.useDetectionVal ?? true,
    ignoreTooMuch: o.ignoreTooMuch ?? false,
    nmsKernel: o.nmsKernel ?? 5,
    nmsPadding: o.nmsPadding ?? 2,
    jointOrder,
    adjust: o.adjust ?? true,
    refine: o.refine ?? true,
  };
}

const f32 = Math.fround;

function checkShape(heatmaps: ArrayLike<number>, tags: ArrayLike<number> | undefined, s: ParserInputShape): number {
  const hw = s.height * s.width;
  if (heatmaps.length !== s.numJoints * hw) throw new Error(`heatmap parser: ${heatmaps.length} heatmap values for ${s.numJoints}x${s.height}x${s.width}`);
  const tc = s.tagChannels ?? s.numJoints;
  if (tc !== s.numJoints && tc !== 1) throw new Error(`heatmap parser: tagChannels must be ${s.numJoints} or 1`);
  if (tags && tags.length !== tc * hw * s.tagDims) throw new Error(`heatmap parser: ${tags.length} tag values for ${tc}x${s.height}x${s.width}x${s.tagDims}`);
  return tc;
}

/**
 * NMS: max-pool (kernel, stride 1, padding; padding never wins) and keep a value only where it equals the
 * pooled maximum (ties survive), else 0.
 */
export function nmsHeatmaps(heatmaps: Float32Array, numJoints: number, height: number, width: number, kernel = 5, padding = 2): Float32Array {
  const hw = height * width;
  const out = new Float32Array(heatmaps.length);
  const rowMax = new Float32Array(hw);
  for (let j = 0; j < numJoints; j++) {
    const base = j * hw;
    // Window [i - padding, i - padding + kernel - 1], clipped; separable max (exact).
    for (let y = 0; y < height; y++) {
      const r = base + y * width;
      for (let x = 0; x < width; x++) {
        const lo = Math.max(0, x - padding);
        const hi = Math.min(width - 1, x - padding + kernel - 1);
        let m = -Infinity;
        for (let q = lo; q <= hi; q++) {
          const v = heatmaps[r + q]!;
          if (v > m || Number.isNaN(v)) m = v;
        }
        rowMax[y * width + x] = m;
      }
    }
    for (let y = 0; y < height; y++) {
      const lo = Math.max(0, y - padding);
      const hi = Math.min(height - 1, y - padding + kernel - 1);
      for (let x = 0; x < width; x++) {
        let m = -Infinity;
        for (let q = lo; q <= hi; q++) {
          const v = rowMax[q * width + x]!;
          if (v > m || Number.isNaN(v)) m = v;
        }
        const i = base + y * width + x;
        const v = heatmaps[i]!;
        out[i] = m === v ? v : 0;
      }
    }
  }
  return out;
}

/**
 * The `k` largest values of each joint's (NMS-ed) map with their tag vectors. Equal values are ordered
 * by pixel index (torch.topk leaves that order unspecified).
 */
export function topK(nms: Float32Array, tags: Float32Array, shape: ParserInputShape, k: number): TopK {
  const tc = checkShape(nms, tags, shape);
  const { numJoints, height, width, tagDims: T } = shape;
  const hw = height * width;
  k = Math.min(k, hw);
  const values = new Float32Array(numJoints * k);
  const indices = new Int32Array(numJoints * k);
  const outTags = new Float32Array(numJoints * k * T);
  // Min-heap of the current best k: root = worst (smallest value, then largest index).
  const hv = new Float64Array(k);
  const hi = new Int32Array(k);
  const worse = (a: number, b: number): boolean => hv[a]! < hv[b]! || (hv[a] === hv[b] && hi[a]! > hi[b]!);
  const swap = (a: number, b: number): void => {
    const tv = hv[a]!;
    hv[a] = hv[b]!;
    hv[b] = tv;
    const ti = hi[a]!;
    hi[a] = hi[b]!;
    hi[b] = ti;
  };
  const siftDown = (i: number, n: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && worse(l, m)) m = l;
      if (r < n && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let j = 0; j < numJoints; j++) {
    const base = j * hw;
    let n = 0;
    for (let p = 0; p < hw; p++) {
      let v = nms[base + p]!;
      if (Number.isNaN(v)) v = Infinity; // torch.topk ranks NaN first
      if (n < k) {
        hv[n] = v;
        hi[n] = p;
        n++;
        for (let c = n - 1; c > 0; ) {
          const parent = (c - 1) >> 1;
          if (!worse(c, parent)) break;
          swap(c, parent);
          c = parent;
        }
      } else if (v > hv[0]!) {
        hv[0] = v;
        hi[0] = p;
        siftDown(0, n);
      }
    }
    // Heap-sort: repeatedly move the worst to the end → best first.
    for (let end = n - 1; end > 0; end--) {
      swap(0, end);
      siftDown(0, end);
    }
    const tagBase = (tc === 1 ? 0 : j) * hw;
    for (let q = 0; q < k; q++) {
      const p = hi[q]!;
      values[j * k + q] = nms[base + p]!;
      indices[j * k + q] = p;
      for (let t = 0; t < T; t++) outTags[(j * k + q) * T + t] = tags[(tagBase + p) * T + t]!;
    }
  }
  return { values, indices, tags: outTags, k };
}

/** Mean of float32 vectors in float32, summed in order (`np.mean(list_of_float32, axis=0)`). */
function meanTag(list: Float32Array[], T: number): Float32Array {
  const out = new Float32Array(T);
  for (const v of list) for (let t = 0; t < T; t++) out[t] = out[t]! + v[t]!;
  for (let t = 0; t < T; t++) out[t] = out[t]! / list.length;
  return out;
}

interface Person {
  joints: Float64Array;
  tags: Float32Array[];
}

/**
 * `match_by_tag`: groups the candidates into people. People are keyed by the first tag component of the
 * candidate that created them, as in the reference (a later person with the same key value merges into
 * the earlier one); the result is in creation order.
 */
export function matchByTag(top: TopK, shape: ParserInputShape, options: HeatmapParserOptions = {}): Float32Array[] {
  const { numJoints: J, width: W, tagDims: T } = shape;
  const p = resolve(J, options);
  const K = top.k;
  const stride = 3 + T;
  const people = new Map<unknown, Person>();
  for (let i = 0; i < J; i++) {
    const idx = p.jointOrder[i]!;
    // Candidates of this joint above the threshold, in top-k order.
    const rows: number[] = [];
    for (let q = 0; q < K; q++) if (top.values[idx * K + q]! > p.detectionThreshold) rows.push(q);
    if (rows.length === 0) continue;
    const joint = (q: number): Float64Array => {
      const out = new Float64Array(stride);
      const ind = top.indices[idx * K + q]!;
      out[0] = ind % W;
      out[1] = Math.floor(ind / W);
      out[2] = top.values[idx * K + q]!;
      for (let t = 0; t < T; t++) out[3 + t] = top.tags[(idx * K + q) * T + t]!;
      return out;
    };
    const tagOf = (q: number): Float32Array => top.tags.slice((idx * K + q) * T, (idx * K + q + 1) * T);
    // A NaN key never equals an existing one in Python; give each its own identity.
    const keyOf = (tag: Float32Array): unknown => (Number.isNaN(tag[0]) ? {} : tag[0]);
    const startPerson = (q: number): void => {
      const tag = tagOf(q);
      const key = keyOf(tag);
      let person = people.get(key);
      if (!person) {
        person = { joints: new Float64Array(J * stride), tags: [] };
        people.set(key, person);
      }
      person.joints.set(joint(q), idx * stride);
      person.tags = [tag];
    };

    if (i === 0 || people.size === 0) {
      for (const q of rows) startPerson(q);
      continue;
    }
    const groupedKeys = [...people.keys()].slice(0, p.maxNumPeople);
    if (p.ignoreTooMuch && groupedKeys.length === p.maxNumPeople) continue;
    const groupedTags = groupedKeys.map((key) => meanTag(people.get(key)!.tags, T));
    const numAdded = rows.length;
    const numGrouped = groupedKeys.length;
    const dist: number[][] = [];
    const cost: number[][] = [];
    for (const q of rows) {
      const dRow: number[] = [];
      const cRow: number[] = [];
      const value = top.values[idx * K + q]!;
      const tagBase = (idx * K + q) * T;
      for (const g of groupedTags) {
        let s = 0;
        for (let t = 0; t < T; t++) {
          const d = top.tags[tagBase + t]! - g[t]!;
          s += d * d;
        }
        const d = Math.sqrt(s);
        dRow.push(d);
        cRow.push(p.useDetectionVal ? roundHalfEven(d) * 100 - value : d);
      }
      for (let c = numGrouped; c < numAdded; c++) cRow.push(1e10);
      dist.push(dRow);
      cost.push(cRow);
    }
    for (const [row, col] of munkres(cost)) {
      const q = rows[row]!;
      if (row < numAdded && col < numGrouped && dist[row]![col]! < p.tagThreshold) {
        const person = people.get(groupedKeys[col]!)!;
        person.joints.set(joint(q), idx * stride);
        person.tags.push(tagOf(q));
      } else {
        startPerson(q);
      }
    }
  }
  return [...people.values()].map((person) => Float32Array.from(person.joints));
}

/**
 * Quarter-pixel adjustment of every found joint (value > 0) toward its higher neighbour in the (un-NMSed)
 * heatmap, per axis, then +0.5 to the pixel centre. Modifies the people in place.
 */
export function adjustPeople(people: Float32Array[], heatmaps: Float32Array, shape: ParserInputShape): void {
  const { numJoints: J, height: H, width: W, tagDims: T } = shape;
  const stride = 3 + T;
  for (const person of people) {
    for (let j = 0; j < J; j++) {
      const o = j * stride;
      if (!(person[o + 2]! > 0)) continue;
      let x = person[o]!;
      let y = person[o + 1]!;
      const xx = Math.trunc(x);
      const yy = Math.trunc(y);
      const base = j * H * W;
      const row = base + yy * W;
      x += heatmaps[row + Math.min(xx + 1, W - 1)]! > heatmaps[row + Math.max(xx - 1, 0)]! ? 0.25 : -0.25;
      y += heatmaps[base + Math.min(yy + 1, H - 1) * W + xx]! > heatmaps[base + Math.max(yy - 1, 0) * W + xx]! ? 0.25 : -0.25;
      person[o] = x + 0.5;
      person[o + 1] = y + 0.5;
    }
  }
}

/** NumPy's float32 pairwise summation (`np.add.reduce` of a float32 vector): 8 partial sums per block of 128. */
function pairwiseSumF32(a: ArrayLike<number>, start: number, n: number, step: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = f32(res + a[start + i * step]!);
    return res;
  }
  if (n <= 128) {
    const r = new Float32Array(8);
    for (let j = 0; j < 8; j++) r[j] = a[start + j * step]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = r[j]! + a[start + (i + j) * step]!;
    let res = f32(f32(f32(r[0]! + r[1]!) + f32(r[2]! + r[3]!)) + f32(f32(r[4]! + r[5]!) + f32(r[6]! + r[7]!)));
    for (; i < n; i++) res = f32(res + a[start + i * step]!);
    return res;
  }
  let n2 = n >> 1;
  n2 -= n2 % 8;
  return f32(pairwiseSumF32(a, start, n2, step) + pairwiseSumF32(a, start + n2 * step, n - n2, step));
}

/**
 * Person score: mean of the J joint values (missing joints count 0), as `np.mean` computes it on the
 * float32 column (pairwise float32 sum, then division); equal to the reference bit for bit.
 */
export function personScore(person: Float32Array, numJoints: number, stride: number): number {
  return f32(pairwiseSumF32(person, 2, numJoints, stride) / numJoints);
}

/**
 * `HeatmapParser.refine`: for every missing joint of the person, the pixel maximising
 * `heatmap - round(|tag - mean tag|)` (first maximum in row-major order), with the +0.5 / ±0.25 rule; the
 * joint is filled when its heatmap value there is > 0 (its tag columns stay 0). Modifies `person`.
 */
export function refinePerson(person: Float32Array, heatmaps: Float32Array, tags: Float32Array, shape: ParserInputShape): void {
  const { numJoints: J, height: H, width: W, tagDims: T } = shape;
  const tc = shape.tagChannels ?? J;
  const stride = 3 + T;
  const hw = H * W;
  const found: Float32Array[] = [];
  for (let j = 0; j < J; j++) {
    const o = j * stride;
    if (person[o + 2]! > 0) {
      const x = Math.trunc(person[o]!);
      const y = Math.trunc(person[o + 1]!);
      const p = ((tc === 1 ? 0 : j) * hw + y * W + x) * T;
      found.push(tags.slice(p, p + T));
    }
  }
  if (found.length === 0) return;
  const prev = meanTag(found, T);
  for (let j = 0; j < J; j++) {
    const o = j * stride;
    if (person[o + 2] !== 0) continue; // only missing joints can change
    const base = j * hw;
    const tagBase = (tc === 1 ? 0 : j) * hw;
    // First maximum of f32(hm - round(d)) in row-major order. round(d) >= 0, so a pixel whose heatmap value
    // does not exceed the best so far cannot win and its tag distance is skipped.
    let best = -Infinity;
    let bestP = 0;
    const p0 = prev[0]!;
    const p1 = T > 1 ? prev[1]! : 0;
    for (let p = 0; p < hw; p++) {
      const h = heatmaps[base + p]!;
      if (!(h > best)) continue;
      const q = (tagBase + p) * T;
      let s: number;
      if (T === 1) {
        const d = f32(tags[q]! - p0);
        s = f32(d * d);
      } else if (T === 2) {
        const d0 = f32(tags[q]! - p0);
        const d1 = f32(tags[q + 1]! - p1);
        s = f32(f32(d0 * d0) + f32(d1 * d1));
      } else {
        s = 0;
        for (let t = 0; t < T; t++) {
          const d = f32(tags[q + t]! - prev[t]!);
          s = f32(s + f32(d * d));
        }
      }
      const dist = f32(Math.sqrt(s));
      let k = Math.round(dist);
      if (k - dist === 0.5 && k % 2 !== 0) k -= 1; // np.round: half to even
      const v = f32(h - k);
      if (v > best) {
        best = v;
        bestP = p;
      }
    }
    const xx = bestP % W;
    const yy = (bestP - xx) / W;
    const val = heatmaps[base + bestP]!;
    if (!(val > 0)) continue;
    const row = base + yy * W;
    const x = xx + 0.5 + (heatmaps[row + Math.min(xx + 1, W - 1)]! > heatmaps[row + Math.max(xx - 1, 0)]! ? 0.25 : -0.25);
    const y = yy + 0.5 + (heatmaps[base + Math.min(yy + 1, H - 1) * W + xx]! > heatmaps[base + Math.max(yy - 1, 0) * W + xx]! ? 0.25 : -0.25);
    person[o] = x;
    person[o + 1] = y;
    person[o + 2] = val;
  }
}

/**
 * `HeatmapParser.parse` for one image: NMS → top-k → match_by_tag → adjust → scores → refine.
 */
export function parseHeatmaps(
  heatmaps: Float32Array,
  tags: Float32Array,
  shape: ParserInputShape,
  options: HeatmapParserOptions = {},
): ParseResult {
  checkShape(heatmaps, tags, shape);
  const p = resolve(shape.numJoints, options);
  const nms = nmsHeatmaps(heatmaps, shape.numJoints, shape.height, shape.width, p.nmsKernel, p.nmsPadding);
  const top = topK(nms, tags, shape, p.maxNumPeople);
  const people = matchByTag(top, shape, options);
  const stride = 3 + shape.tagDims;
  if (p.adjust) adjustPeople(people, heatmaps, shape);
  const scores = people.map((person) => personScore(person, shape.numJoints, stride));
  if (p.refine) for (const person of people) refinePerson(person, heatmaps, tags, shape);
  return { people, scores, stride };
}
