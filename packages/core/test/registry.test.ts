import { describe, expect, it } from 'vitest';
import { HF_HRNET_VARIANTS, HRNET_VARIANTS, backboneFeatureInfo, listModels, parseHrnetConfig, registerModel, resolveBackbone, resolveConfig } from '../src/index.js';

const TIMM_NAMES = [
  'hrnet_w18', 'hrnet_w18_small', 'hrnet_w18_small_v2', 'hrnet_w30', 'hrnet_w32',
  'hrnet_w40', 'hrnet_w44', 'hrnet_w48', 'hrnet_w64',
];
const HF_NAMES = ['hf_hrnet_18', 'hf_hrnet_30'];

describe('model registry', () => {
  it('lists the nine timm variants and the two HF-HRNet ones, sorted, with substring and glob filters', () => {
    expect(listModels()).toEqual([...HF_NAMES, ...TIMM_NAMES]);
    expect(listModels('small')).toEqual(['hrnet_w18_small', 'hrnet_w18_small_v2']);
    expect(listModels('hrnet_w4*')).toEqual(['hrnet_w40', 'hrnet_w44', 'hrnet_w48']);
    expect(listModels('18')).toEqual(['hf_hrnet_18', 'hrnet_w18', 'hrnet_w18_small', 'hrnet_w18_small_v2']);
  });

  it('filters by family', () => {
    expect(listModels(undefined, { family: 'hrnet' })).toEqual(TIMM_NAMES);
    expect(listModels(undefined, { family: 'hf-hrnet' })).toEqual(HF_NAMES);
    expect(listModels('30', { family: 'hf-hrnet' })).toEqual(['hf_hrnet_30']);
  });

  it('resolves names and cfg dicts of both families; resolveConfig takes the HRNet family only', () => {
    expect(resolveBackbone('hf_hrnet_30')).toEqual({ family: 'hf-hrnet', cfg: HF_HRNET_VARIANTS.hf_hrnet_30 });
    expect(resolveBackbone(HF_HRNET_VARIANTS.hf_hrnet_18).family).toBe('hf-hrnet');
    expect(resolveBackbone('hrnet_w18').family).toBe('hrnet');
    expect(() => resolveConfig('hf_hrnet_18')).toThrow(/'hf_hrnet_18' is an hf-hrnet backbone, expected an HRNet \(timm\) one: hrnet_w18, /);
    expect(() => resolveConfig(HF_HRNET_VARIANTS.hf_hrnet_18)).toThrow(/this cfg is an hf-hrnet backbone/);
  });

  it('rejects an unknown name and lists the valid ones', () => {
    expect(() => resolveConfig('hrnet_w99')).toThrow(/unknown model 'hrnet_w99'; valid names: hf_hrnet_18, hf_hrnet_30, hrnet_w18, hrnet_w18_small/);
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
    registerModel('test_custom_hf', { ...HF_HRNET_VARIANTS.hf_hrnet_18, with_head: false });
    expect(listModels('test_custom', { family: 'hf-hrnet' })).toEqual(['test_custom_hf']);
    expect(() => registerModel('test_bad_hf', { ...HF_HRNET_VARIANTS.hf_hrnet_18, num_stages: 2 })).toThrow(
      /cfg of 'test_bad_hf':\n {2}stages_spec\.num_modules: needs one entry per stage \(num_stages = 2\), got 3/,
    );
  });

  it('reports feature channels and reductions', () => {
    expect(backboneFeatureInfo('hrnet_w32').map((f) => [f.channels, f.reduction])).toEqual([
      [32, 4], [64, 8], [128, 16], [256, 32],
    ]);
    expect(backboneFeatureInfo('hf_hrnet_18')).toEqual([{ name: 'head_layer', channels: 48, reduction: 4 }]);
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
