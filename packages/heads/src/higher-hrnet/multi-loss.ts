import * as tf from '@tensorflow/tfjs';
import type { LossTerms } from '@hrnet/core';
import { associativeEmbeddingLoss, type JointsTarget } from './associative-embedding-loss.js';
import { parseHigherHrnetConfig, type HigherHrnetConfig, type HigherHrnetConfigInput, type HigherHrnetLossConfig } from './higher-hrnet-config.js';
import { heatmapLoss } from './heatmap-loss.js';
import { resolveHigherHrnetConfig } from './higher-hrnet-presets.js';

/** Training targets of one batch, one entry per model output (resolution), NHWC. */
export interface HigherHrnetTargets {
  /** [N, H_k, W_k, J] heatmaps (HeatmapGenerator), or [N, J, H_k, W_k] with `heatmapsLayout: 'NJHW'`. */
  heatmaps: tf.Tensor[];
  /**
   * Default 'NHWC' (the model's layout). 'NJHW' is the reference's (and `@hrnet/data-coco`'s per-image J×H×W
   * arrays stacked): transposed here.
   */
  heatmapsLayout?: 'NHWC' | 'NJHW';
  /** [N, H_k, W_k] loss masks, 1 = counted. */
  masks: tf.Tensor[];
  /** [N, P, J, 2] JointsGenerator indices into the output's tag maps (see {@link JointsTarget}). */
  joints: JointsTarget[];
}

/** {@link LossTerms} plus MultiLossFactory's per-image values (factors applied; null where a term is off). */
export interface HigherHrnetLossTerms extends LossTerms {
  perImage: { heatmaps: (tf.Tensor1D | null)[]; push: (tf.Tensor1D | null)[]; pull: (tf.Tensor1D | null)[] };
}

/** The `check_config` / `MultiLossFactory._init_check` rules: every per-stage list has NUM_STAGES entries. */
function checkLossConfig(loss: HigherHrnetLossConfig): void {
  const lists = ['WITH_HEATMAPS_LOSS', 'HEATMAPS_LOSS_FACTOR', 'WITH_AE_LOSS', 'PUSH_LOSS_FACTOR', 'PULL_LOSS_FACTOR'] as const;
  const bad = lists.filter((k) => loss[k].length !== loss.NUM_STAGES);
  if (bad.length) {
    throw new Error(`invalid HigherHRNet LOSS config:\n${bad.map((k) => `  LOSS.${k}: needs NUM_STAGES (${loss.NUM_STAGES}) entries, got ${loss[k].length}`).join('\n')}`);
  }
}

/**
 * MultiLossFactory (`lib/core/loss.py`) combined as in `lib/core/trainer.py`. For each output k with
 * WITH_HEATMAPS_LOSS[k]: HeatmapLoss of its first NUM_JOINTS channels × HEATMAPS_LOSS_FACTOR[k]; with
 * WITH_AE_LOSS[k]: AELoss(AE_LOSS_TYPE) of the remaining channels (all channels when the heatmap loss is off)
 * × PUSH/PULL_LOSS_FACTOR[k]. total = Σ_k batch means of heatmaps + push + pull (as trainer.py, push/pull only
 * count for outputs that also have a heatmap loss). Terms: `stage{k}_heatmaps_loss`, `stage{k}_push_loss`,
 * `stage{k}_pull_loss` (batch means, the names trainer.py logs).
 */
export function createHigherHrnetLoss(nameOrCfg: string | HigherHrnetConfigInput | HigherHrnetConfig): (outputs: tf.Tensor[], batch: HigherHrnetTargets) => HigherHrnetLossTerms {
  const cfg = typeof nameOrCfg === 'string' ? resolveHigherHrnetConfig(nameOrCfg) : parseHigherHrnetConfig(nameOrCfg);
  const loss = cfg.LOSS;
  checkLossConfig(loss);
  const numJoints = cfg.MODEL.NUM_JOINTS;
  const stages = loss.NUM_STAGES;

  return (outputs, batch) => {
    for (const [key, list] of [['outputs', outputs], ['heatmaps', batch.heatmaps], ['masks', batch.masks], ['joints', batch.joints]] as const) {
      if (list.length !== stages) throw new Error(`HigherHRNet loss: ${key} has ${list.length} entries, LOSS.NUM_STAGES is ${stages}`);
    }
    // One tidy: only the returned tensors survive the call (slices and intermediates are freed).
    return tf.tidy(() => evaluate(outputs, batch) as never) as HigherHrnetLossTerms;
  };

  function evaluate(outputs: tf.Tensor[], batch: HigherHrnetTargets): HigherHrnetLossTerms {
    const perImage: HigherHrnetLossTerms['perImage'] = { heatmaps: [], push: [], pull: [] };
    const terms: Record<string, tf.Scalar> = {};
    const parts: tf.Scalar[] = [];
    for (let k = 0; k < stages; k++) {
      const out = outputs[k];
      const channels = out.shape[3]!;
      let offset = 0;
      let hm: tf.Tensor1D | null = null;
      let push: tf.Tensor1D | null = null;
      let pull: tf.Tensor1D | null = null;
      if (loss.WITH_HEATMAPS_LOSS[k]) {
        const pred = channels === numJoints ? out : tf.slice(out, [0, 0, 0, 0], [-1, -1, -1, numJoints]);
        const target = batch.heatmapsLayout === 'NJHW' ? tf.transpose(batch.heatmaps[k], [0, 2, 3, 1]) : batch.heatmaps[k];
        hm = tf.mul(heatmapLoss(pred, target, batch.masks[k]), loss.HEATMAPS_LOSS_FACTOR[k]) as tf.Tensor1D;
        offset = numJoints;
      }
      if (loss.WITH_AE_LOSS[k]) {
        if (channels <= offset) throw new Error(`HigherHRNet loss: output ${k} has ${channels} channels, no tag maps after the ${offset} heatmaps`);
        const tags = offset === 0 ? out : tf.slice(out, [0, 0, 0, offset], [-1, -1, -1, channels - offset]);
        const ae = associativeEmbeddingLoss(tags, batch.joints[k], loss.AE_LOSS_TYPE);
        push = tf.mul(ae.push, loss.PUSH_LOSS_FACTOR[k]) as tf.Tensor1D;
        pull = tf.mul(ae.pull, loss.PULL_LOSS_FACTOR[k]) as tf.Tensor1D;
      }
      perImage.heatmaps.push(hm);
      perImage.push.push(push);
      perImage.pull.push(pull);
      if (hm) {
        parts.push((terms[`stage${k}_heatmaps_loss`] = tf.mean(hm)));
        if (push) parts.push((terms[`stage${k}_push_loss`] = tf.mean(push)));
        if (pull) parts.push((terms[`stage${k}_pull_loss`] = tf.mean(pull)));
      }
    }
    // Left-to-right sum as trainer.py's `loss = loss + term`.
    const total = parts.length ? parts.reduce((a, b) => tf.add(a, b)) : tf.scalar(0);
    return { total, terms, perImage };
  }
}
