/**
 * @hrnet/backend-native for the suites of other packages that also run on it (core's backend checks, the
 * classifier parity): the module, whether its addon loads here, and if not why, for the suite titles.
 *
 * Imported by name, as core's initBackend('native') imports it, so both get the same module (the built
 * package, dist/, through the workspace link; turbo builds it before these suites).
 */
import { describe, it } from 'vitest';

export type NativeModule = typeof import('@hrnet/backend-native');

export interface NativeForTests {
  /** The package, when it imports (an optional dependency of @hrnet/core: it may be missing). */
  mod?: NativeModule;
  /** True when the addon loads: the native kernels can run. */
  available: boolean;
  /** Why they cannot (when not available). */
  reason?: string;
  /** Appended to suite titles so a skip is visible in the report, with its reason ('' when available). */
  skipNote: string;
}

export async function loadNative(): Promise<NativeForTests> {
  let mod: NativeModule;
  try {
    mod = await import('@hrnet/backend-native');
  } catch (e) {
    const reason = `@hrnet/backend-native failed to import (${String((e as Error)?.message ?? e).split('\n')[0]})`;
    return { available: false, reason, skipNote: ` [SKIPPED: ${reason}]` };
  }
  const status = mod.nativeStatus();
  if (status.available) return { mod, available: true, skipNote: '' };
  return { mod, available: false, reason: status.reason, skipNote: ` [SKIPPED: native addon unavailable: ${status.reason}]` };
}

/** A skipped suite named `title` plus the reason, so the report shows what did not run and why. */
export function describeSkippedNative(title: string, native: NativeForTests): void {
  console.warn(`${title}: skipped: ${native.reason}`);
  describe.skip(title + native.skipNote, () => {
    it('needs the native addon', () => {});
  });
}
