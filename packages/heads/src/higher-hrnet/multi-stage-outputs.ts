/**
 * `get_multi_stage_outputs` of HigherHRNet's test flow (lib/core/inference.py) on host planes: every
 * network output but the last is resized (bilinear, align_corners false) to the last one's size; heatmaps
 * are averaged over the outputs that carry them, tags are the channels after the heatmaps; the pass on the
 * mirrored image is mirrored back and its joints re-indexed with the flip permutation; finally every heatmap
 * and tag map is projected (bilinearly resized) to the base size.
 */
import { COCO_FLIP_INDEX } from '@hrnet/core';
import { resizeBilinear } from '../pose-common/interpolate-bilinear.js';
import { flipPlanesWidth, makePlanes, permutePlanes, slicePlanes, type Planes } from '../pose-common/planes.js';

export interface MultiStageOptions {
  /** Number of joints (heatmap channels), default 17. */
  numJoints?: number;
  /** Joint permutation applied to the mirrored pass, default `COCO_FLIP_INDEX`. */
  flipIndex?: readonly number[];
  /**
   * Whether output i starts with `numJoints` heatmap channels (the training config's WITH_HEATMAPS_LOSS).
   * Default: true for every output with at least `numJoints` channels.
   */
  outputHasHeatmaps?: readonly boolean[];
  /**
   * Whether output i carries tag channels after its heatmaps (WITH_AE_LOSS). Default: true when it has more
   * channels than its heatmaps (HigherHRNet: `[true, false]`).
   */
  outputHasTags?: readonly boolean[];
  /** TEST.WITH_HEATMAPS: use output i's heatmaps, default all true. */
  withHeatmaps?: readonly boolean[];
  /** TEST.WITH_AE: use output i's tags, default all true. */
  withAe?: readonly boolean[];
  /** One tag map per joint (MODEL.TAG_PER_JOINT, default true): tags are flip-permuted like heatmaps. */
  tagPerJoint?: boolean;
  /** Project heatmaps and tags to this `[width, height]` (the base size; PROJECT2IMAGE). */
  projectTo?: readonly [number, number];
}

export interface MultiStageResult {
  /** Averaged heatmaps per pass (`numJoints` planes): `[normal]` or `[normal, mirrored]`. */
  heatmaps: Planes[];
  /** Tag maps: those of the normal pass' outputs, then those of the mirrored pass. */
  tags: Planes[];
}

interface OutputLayout {
  heatmaps: boolean;
  tags: boolean;
}

function layouts(outputs: readonly Planes[], numJoints: number, opts: MultiStageOptions): OutputLayout[] {
  return outputs.map((o, i) => {
    const heatmaps = opts.outputHasHeatmaps?.[i] ?? o.channels >= numJoints;
    const tags = opts.outputHasTags?.[i] ?? o.channels > (heatmaps ? numJoints : 0);
    const need = (heatmaps ? numJoints : 0) + (tags ? 1 : 0);
    if (o.channels < need) throw new Error(`multi-stage outputs: output ${i} has ${o.channels} channels, expected at least ${need}`);
    return { heatmaps, tags };
  });
}

function onePass(
  outputs: readonly Planes[],
  lay: OutputLayout[],
  numJoints: number,
  opts: MultiStageOptions,
  mirrored: boolean,
): { heatmaps: Planes | undefined; tags: Planes[] } {
  const last = outputs[outputs.length - 1]!;
  const flipIndex = opts.flipIndex ?? COCO_FLIP_INDEX;
  const tagPerJoint = opts.tagPerJoint ?? true;
  let sum: Float32Array | undefined;
  let count = 0;
  const tags: Planes[] = [];
  outputs.forEach((raw, i) => {
    let out = i !== outputs.length - 1 ? resizeBilinear(raw, last.height, last.width) : raw;
    if (mirrored) out = flipPlanesWidth(out);
    const offset = lay[i]!.heatmaps ? numJoints : 0;
    if (lay[i]!.heatmaps && (opts.withHeatmaps?.[i] ?? true)) {
      let hm = slicePlanes(out, 0, numJoints);
      if (mirrored) hm = permutePlanes(hm, flipIndex);
      if (!sum) sum = hm.data.slice();
      else for (let k = 0; k < sum.length; k++) sum[k] = sum[k]! + hm.data[k]!;
      count++;
    }
    if (lay[i]!.tags && (opts.withAe?.[i] ?? true)) {
      let tg = slicePlanes(out, offset, out.channels - offset);
      if (mirrored && tagPerJoint) tg = permutePlanes(tg, flipIndex);
      tags.push(tg);
    }
  });
  let heatmaps: Planes | undefined;
  if (sum) {
    for (let k = 0; k < sum.length; k++) sum[k] = sum[k]! / count;
    heatmaps = makePlanes(numJoints, last.height, last.width, sum);
  }
  return { heatmaps, tags };
}

/**
 * Heatmaps and tags of one scale from the network outputs (lowest resolution first, the last one sets the
 * size) and, for the flip test, the outputs of the width-mirrored input exactly as the network emits them.
 */
export function getMultiStageOutputs(
  outputs: readonly Planes[],
  flippedOutputs: readonly Planes[] | undefined,
  opts: MultiStageOptions = {},
): MultiStageResult {
  if (outputs.length === 0) throw new Error('multi-stage outputs: no network outputs');
  const numJoints = opts.numJoints ?? 17;
  const flipIndex = opts.flipIndex ?? COCO_FLIP_INDEX;
  if (flipIndex.length !== numJoints) throw new Error(`multi-stage outputs: flipIndex has ${flipIndex.length} entries for ${numJoints} joints`);
  const lay = layouts(outputs, numJoints, opts);
  const normal = onePass(outputs, lay, numJoints, opts, false);
  if (!normal.heatmaps) throw new Error('multi-stage outputs: no output provides heatmaps');
  const heatmaps = [normal.heatmaps];
  const tags = [...normal.tags];
  if (flippedOutputs) {
    if (flippedOutputs.length !== outputs.length) throw new Error('multi-stage outputs: flipped pass has a different number of outputs');
    flippedOutputs.forEach((f, i) => {
      const o = outputs[i]!;
      if (f.channels !== o.channels || f.height !== o.height || f.width !== o.width) {
        throw new Error(`multi-stage outputs: flipped output ${i} is ${f.channels}x${f.height}x${f.width}, expected ${o.channels}x${o.height}x${o.width}`);
      }
    });
    const mirrored = onePass(flippedOutputs, lay, numJoints, opts, true);
    heatmaps.push(mirrored.heatmaps!);
    tags.push(...mirrored.tags);
  }
  if (opts.projectTo) {
    const [w, h] = opts.projectTo;
    return { heatmaps: heatmaps.map((p) => resizeBilinear(p, h, w)), tags: tags.map((p) => resizeBilinear(p, h, w)) };
  }
  return { heatmaps, tags };
}
