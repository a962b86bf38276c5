import { describe, expect, it } from 'vitest';
import { createBackbone, type HrnetConfigInput } from '../src/index.js';
import { TINY } from './helpers/tiny-config.js';

// Stage 3 widens the existing branch 0 (8 → 12): a transition conv re-projects it.
const WIDENED: HrnetConfigInput = { ...TINY, stage3: { ...TINY.stage3, num_channels: [12, 16, 32] } };
const sourceOf = (from: 'last' | 'own') => {
  const model = createBackbone(WIDENED, from === 'own' ? { transitionFrom: 'own' } : {});
  const name = (model.getLayer('transition2.0.0') as unknown as { inboundNodes: Array<{ inboundLayers: Array<{ name: string }> }> }).inboundNodes[0].inboundLayers[0].name;
  model.dispose();
  return name;
};

describe('transition of a widened existing branch', () => {
  it("reads the last branch by default (timm, cls_hrnet) and its own branch with transitionFrom 'own' (seg_hrnet)", () => {
    expect(sourceOf('last')).toBe('stage2.0.fuse_act.1');
    expect(sourceOf('own')).toBe('stage2.0.fuse_act.0');
  });
});
