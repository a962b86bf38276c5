/**
 * `aggregate_results` of HigherHRNet's test flow (lib/core/inference.py), with PROJECT2IMAGE (every scale's
 * maps already projected to the base size by `getMultiStageOutputs`): heatmaps are the mean of the normal
 * and mirrored pass, summed over scales and divided by the number of scales at the end; tag maps are only
 * collected at scale 1 (or when there is a single scale) and stacked on a trailing axis.
 */
import { makePlanes, type Planes } from '../pose-common/planes.js';

export interface AggregateState {
  /** Running sum of the per-scale heatmaps (`numJoints` planes at the base size). */
  heatmaps: Planes | undefined;
  /** Collected tag maps, in order; each becomes one entry of the trailing tag axis. */
  tags: Planes[];
}

export interface AggregatedMaps {
  /** Final heatmaps `[J, H, W]`. */
  heatmaps: Planes;
  /** Tags `[J, H, W, T]` row-major (T = number of collected tag maps: 2 with flip, 1 without). */
  tags: Float32Array;
  tagDims: number;
  /** Number of tag planes per entry (J with one tag map per joint, else 1). */
  tagChannels: number;
}

export function emptyAggregate(): AggregateState {
  return { heatmaps: undefined, tags: [] };
}

/**
 * Adds one scale. `heatmaps` is `[normal]` or `[normal, mirrored]` (must be two when `flipTest`), `tags`
 * the tag maps of that scale, all at the base size.
 */
export function aggregateResults(
  state: AggregateState,
  scaleFactor: number,
  numScales: number,
  heatmaps: readonly Planes[],
  tags: readonly Planes[],
  flipTest: boolean,
): AggregateState {
  if (heatmaps.length < (flipTest ? 2 : 1)) throw new Error(`aggregateResults: flip test needs the mirrored pass' heatmaps`);
  if (scaleFactor === 1 || numScales === 1) state.tags.push(...tags);
  const h0 = heatmaps[0]!;
  let avg: Float32Array;
  if (flipTest) {
    const h1 = heatmaps[1]!;
    if (h1.data.length !== h0.data.length) throw new Error('aggregateResults: passes differ in size');
    avg = new Float32Array(h0.data.length);
    for (let k = 0; k < avg.length; k++) avg[k] = (h0.data[k]! + h1.data[k]!) / 2;
  } else {
    avg = h0.data.slice();
  }
  if (!state.heatmaps) {
    state.heatmaps = makePlanes(h0.channels, h0.height, h0.width, avg);
  } else {
    const acc = state.heatmaps;
    if (acc.channels !== h0.channels || acc.height !== h0.height || acc.width !== h0.width) {
      throw new Error('aggregateResults: every scale must be projected to the same base size');
    }
    for (let k = 0; k < avg.length; k++) acc.data[k] = acc.data[k]! + avg[k]!;
  }
  return state;
}

/** Divides the heatmap sum by the number of scales and stacks the tag maps into `[J, H, W, T]`. */
export function finishAggregation(state: AggregateState, numScales: number): AggregatedMaps {
  const hm = state.heatmaps;
  if (!hm) throw new Error('finishAggregation: no scale was aggregated');
  if (state.tags.length === 0) throw new Error('finishAggregation: no tag maps (tags are only collected at scale 1)');
  const data = new Float32Array(hm.data.length);
  for (let k = 0; k < data.length; k++) data[k] = hm.data[k]! / numScales;
  const t0 = state.tags[0]!;
  const T = state.tags.length;
  for (const t of state.tags) {
    if (t.channels !== t0.channels || t.height !== hm.height || t.width !== hm.width) throw new Error('finishAggregation: tag maps differ in size');
  }
  const n = t0.channels * hm.height * hm.width;
  const tags = new Float32Array(n * T);
  state.tags.forEach((t, ti) => {
    for (let k = 0; k < n; k++) tags[k * T + ti] = t.data[k]!;
  });
  return { heatmaps: makePlanes(hm.channels, hm.height, hm.width, data), tags, tagDims: T, tagChannels: t0.channels };
}
