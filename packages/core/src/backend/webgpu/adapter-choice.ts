/**
 * Which WebGPU adapter a process uses: by index or name into the adapters Dawn lists, and by training rank.
 * Pure functions over the list, so they are tested without a GPU.
 */

/** One adapter as Dawn lists it (its "Available adapters" list, in Dawn's order). */
export interface AdapterEntry {
  /** Dawn's backend for it: 'vulkan', 'metal', 'd3d12', …. */
  backend: string;
  /** The device name, e.g. 'NVIDIA H100 80GB HBM3' or 'llvmpipe (LLVM 15.0.6, 256 bits)'. */
  name: string;
}

/** An adapter as given to `initBackend('webgpu', { adapter })`: its index in the list, or part of its name. */
export type AdapterSpec = number | string;

/**
 * Parses Dawn's "Available adapters:" list (the message dawn.node rejects `requestAdapter` with when its
 * `adapter=` flag matches nothing): lines `* backend: 'vulkan', name: 'llvmpipe (…)'`.
 */
export function parseAdapterList(message: string): AdapterEntry[] {
  const out: AdapterEntry[] = [];
  for (const m of message.matchAll(/^\s*\*\s*backend:\s*'([^']*)',\s*name:\s*'(.*)'\s*$/gm)) out.push({ backend: m[1], name: m[2] });
  return out;
}

const describeList = (list: AdapterEntry[]) => list.map((a, i) => `${i}: ${a.name} (${a.backend})`).join('; ');

/**
 * The index in `list` of the adapter `spec` names (an index, or a case-insensitive part of the name that
 * exactly one adapter name contains, or the first of identical names). Dawn selects by name only, so an
 * index that points at the second of several identically named adapters cannot be honoured: that is an
 * error rather than silently the first one (see {@link adapterIndexForRank} for one GPU per process).
 */
export function chooseAdapter(list: AdapterEntry[], spec: AdapterSpec): number {
  if (list.length === 0) throw new Error('webgpu: no adapters to choose from');
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 0 || spec >= list.length) {
      throw new Error(`webgpu: adapter index ${spec} is out of range; adapters: ${describeList(list)}`);
    }
    const first = list.findIndex((a) => a.name === list[spec].name && a.backend === list[spec].backend);
    if (first !== spec) {
      throw new Error(
        `webgpu: adapter ${spec} has the same name as adapter ${first} ('${list[spec].name}') and Dawn selects adapters by name; ` +
          `run one process per GPU with the Vulkan loader restricted to it (e.g. MESA_VK_DEVICE_SELECT or a per-process VK_ICD_FILENAMES), then use adapter 0`,
      );
    }
    return spec;
  }
  const wanted = spec.toLowerCase();
  const hits = list.map((a, i) => (a.name.toLowerCase().includes(wanted) ? i : -1)).filter((i) => i >= 0);
  if (hits.length === 0) throw new Error(`webgpu: no adapter name contains '${spec}'; adapters: ${describeList(list)}`);
  const names = new Set(hits.map((i) => list[i].name));
  if (names.size > 1) throw new Error(`webgpu: adapter '${spec}' is ambiguous; it matches ${hits.map((i) => `${i}: ${list[i].name}`).join(', ')}`);
  return hits[0];
}

/**
 * The adapter index a training rank uses: `devices` (a `--device` list such as [2, 3]) indexed by the
 * rank when given, else the rank modulo the adapter count (several ranks share an adapter when there are
 * more ranks than adapters, as two ranks on lavapipe's single adapter in CI do).
 */
export function adapterIndexForRank(rank: number, adapterCount: number, devices?: readonly number[]): number {
  if (!Number.isInteger(rank) || rank < 0) throw new Error(`webgpu: rank must be a non-negative integer, got ${rank}`);
  if (adapterCount < 1) throw new Error('webgpu: no adapters to assign ranks to');
  if (devices && devices.length > 0) {
    if (rank >= devices.length) throw new Error(`webgpu: rank ${rank} has no entry in --device ${devices.join(',')} (${devices.length} devices)`);
    const d = devices[rank];
    if (!Number.isInteger(d) || d < 0 || d >= adapterCount) {
      throw new Error(`webgpu: --device entry ${d} for rank ${rank} is not an adapter index (0..${adapterCount - 1})`);
    }
    return d;
  }
  return rank % adapterCount;
}
