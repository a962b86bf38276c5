/**
 * Whether the webgpu suites can run here: an adapter Dawn sees (lavapipe in CI). Where none exists the
 * suites are skipped with the reason printed and in their titles; they never skip for any other reason.
 * `list` is the caller's `listWebgpuAdapters` (core's tests pass core's source, other packages the entry).
 */
import { describe, it } from 'vitest';

export interface WebgpuForTests {
  available: boolean;
  reason?: string;
  /** Appended to suite titles when skipped (with the reason), '' when available. */
  skipNote: string;
}

export async function loadWebgpu(list: () => Promise<Array<{ name: string }>>): Promise<WebgpuForTests> {
  const adapters = await list();
  if (adapters.length) return { available: true, skipNote: '' };
  const reason = "no WebGPU adapter (initBackend('webgpu') says why; CI installs lavapipe: mesa-vulkan-drivers from bookworm-backports)";
  return { available: false, reason, skipNote: ` [SKIPPED: ${reason}]` };
}

/** A skipped suite named `title` plus the reason, so the report shows what did not run and why. */
export function describeSkippedWebgpu(title: string, w: WebgpuForTests): void {
  console.warn(`${title}: skipped: ${w.reason}`);
  describe.skip(title + w.skipNote, () => {
    it('needs a WebGPU adapter', () => {});
  });
}
