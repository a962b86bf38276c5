import type { EncodedTargets, TargetArray } from '@hrnet/core';

/** Every named target of the samples stacked along a new leading batch axis (row-major, sample order). */
export function stackTargets(samples: readonly EncodedTargets[]): Record<string, TargetArray[]> {
  const B = samples.length;
  const targets: Record<string, TargetArray[]> = {};
  for (const [name, list] of Object.entries(samples[0]!)) {
    targets[name] = list.map((first, k) => {
      const n = first.data.length;
      const data = first.data instanceof Int32Array ? new Int32Array(B * n) : new Float32Array(B * n);
      samples.forEach((s, b) => data.set(s[name]![k]!.data, b * n));
      return { data, shape: [B, ...first.shape] };
    });
  }
  return targets;
}
