import { describe, expect, it } from 'vitest';
import { HRNET_VARIANTS, backboneFeatureInfo, listModels, parseHrnetConfig, registerModel, resolveConfig } from '../src/index.js';

const TIMM_NAMES = [
  'hrnet_w18', 'hrnet_w18_small', 'hrnet_w18_small_v2', 'hrnet_w30', 'hrnet_w32',
  'hrnet_w40', 'hrnet_w44', 'hrnet_w48', 'hrnet_w64',
];

describe('model registry', () => {
  it('lists the nine timm variants, sorted, with substring and glob filters', () => {
    expect(listModels()).toEqual(TIMM_NAMES);
    expect(listModels('small')).toEqual(['hrnet_w18_small', 'hrnet_w18_small_v2']);
    expect(listModels('hrnet_w4*')).toEqual(['hrnet_w40', 'hrnet_w44', 'hrnet_w48']);
  });

  it('rejects an unknown name and lists the valid ones', () => {
    expect(() => resolveConfig('hrnet_w99')).toThrow(/unknown model 'hrnet_w99'; valid names: hrnet_w18, hrnet_w18_small/);
  });

  it('returns a copy, so callers cannot corrupt the registry', () => {
    const cfg = resolveConfig('hrnet_w32');
    cfg.stage4.num_channels[0] = 1;
    expect(resolveConfig('hrnet_w32').stage4.num_channels[0]).toBe(32);
  });

  it('registers a custom variant once', () => {
    registerModel('test_custom_w8', { ...HRNET_VARIANTS.hrnet_w18_small, stem_width: 32 });
    expect(listModels('test_custom')).toEqual(['test_custom_w8']);
    expect(() => registerModel('test_custom_w8', HRNET_VARIANTS.hrnet_w18_small)).toThrow(/already registered/);
  });

  it('reports feature channels and reductions', () => {
    expect(backboneFeatureInfo('hrnet_w32').map((f) => [f.channels, f.reduction])).toEqual([
      [32, 4], [64, 8], [128, 16], [256, 32],
    ]);
  });
});

describe('cfg validation', () => {
  const base = structuredClone(HRNET_VARIANTS.hrnet_w18_small);

  it('names an unknown key', () => {
    expect(() => parseHrnetConfig({ ...base, stage5: {} })).toThrow(/stage5|Unrecognized key/);
    expect(() => parseHrnetConfig({ ...base, stage2: { ...base.stage2, num_module: 1 } })).toThrow(/stage2/);
  });

  it('names a key with a bad value', () => {
    const bad = structuredClone(base) as Record<string, any>;
    bad.stage3.block_type = 'RESNEXT';
    expect(() => parseHrnetConfig(bad)).toThrow(/stage3\.block_type/);
  });

  it('requires one entry per branch', () => {
    const bad = structuredClone(base);
    bad.stage3.num_channels = [16, 32] as never;
    expect(() => parseHrnetConfig(bad)).toThrow(/stage3\.num_channels: needs one entry per branch \(3\), got 2/);
  });

  it('requires one new branch per stage', () => {
    const bad = structuredClone(base);
    bad.stage2.num_branches = 3;
    expect(() => parseHrnetConfig(bad)).toThrow(/stage2\.num_branches: must be 2/);
  });

  it('defaults stem_width to 64', () => {
    const { stem_width: _, ...rest } = base;
    expect(parseHrnetConfig(rest).stem_width).toBe(64);
  });
});
