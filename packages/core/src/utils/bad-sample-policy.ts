/**
 * What every data set does with a sample it cannot use (a missing, empty, truncated or corrupt image, an image
 * over the pixel budget): `'skip'` leaves it out, counts it and names the first
 * few in the log (the default: one bad file must not end a long run); `'fail'` stops with an error naming it.
 * The training scripts' `--bad_samples` flag (@hrnet/train) sets it for whichever data set they load.
 * Symlinks leading outside the data root are not bad samples: see {@link pathsOutsideRoot}.
 */
export const BAD_SAMPLE_POLICIES = ['skip', 'fail'] as const;

export type BadSamplePolicy = (typeof BAD_SAMPLE_POLICIES)[number];

export function isBadSamplePolicy(value: unknown): value is BadSamplePolicy {
  return BAD_SAMPLE_POLICIES.includes(value as BadSamplePolicy);
}
