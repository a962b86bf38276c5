import { realpath } from 'node:fs/promises';
import { sep } from 'node:path';

/**
 * The data sets' symlink policy: a file or folder reached through a symlink that leads outside the data root is
 * followed (as torchvision and the reference loaders do: subsets linked to a full copy are common) and warned
 * about once, with the count and the first paths. A dangling link is a missing file (a bad sample).
 * Returns those of `paths` whose real location is outside `root`'s (paths that cannot be resolved are left out).
 */
export async function pathsOutsideRoot(root: string, paths: readonly string[], concurrency = 64): Promise<string[]> {
  const realRoot = await realpath(root);
  const inside = (p: string) => p === realRoot || p.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
  const outside: string[] = [];
  for (let i = 0; i < paths.length; i += concurrency) {
    const chunk = paths.slice(i, i + concurrency);
    const real = await Promise.all(chunk.map((p) => realpath(p).catch(() => undefined)));
    chunk.forEach((p, k) => real[k] !== undefined && !inside(real[k]!) && outside.push(p));
  }
  return outside;
}

/** The one warning line of {@link pathsOutsideRoot}'s policy. */
export function outsideRootWarning(tag: string, root: string, outside: readonly string[]): string {
  const first = outside.slice(0, 3).join(', ');
  return `[${tag}] ${outside.length} path(s) under ${root} are symlinks leading outside it (followed): ${first}${outside.length > 3 ? ', …' : ''}`;
}
