import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the Vulkan loader looks for installable client drivers (ICDs) on Linux, in the loader's order;
 * `VK_ICD_FILENAMES` / `VK_DRIVER_FILES` replace the search. Used to say in one line what was looked at
 * when Dawn finds no adapter.
 */
function icdDirs(): string[] {
  const home = process.env.HOME;
  const xdgConfig = (process.env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':');
  const xdgData = (process.env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':');
  return [
    ...xdgConfig.map((d) => join(d, 'vulkan/icd.d')),
    '/etc/vulkan/icd.d',
    ...(home ? [join(home, '.local/share/vulkan/icd.d')] : []),
    ...xdgData.map((d) => join(d, 'vulkan/icd.d')),
  ].filter((d, i, all) => all.indexOf(d) === i);
}

/** One line: the ICD files the Vulkan loader sees (or the override env var), for error messages. */
export function describeVulkanIcds(): string {
  const override = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES;
  if (override) return `Vulkan ICDs from VK_DRIVER_FILES/VK_ICD_FILENAMES: ${override}`;
  const found: string[] = [];
  const dirs = icdDirs();
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (f.endsWith('.json')) found.push(join(d, f));
  }
  return found.length ? `Vulkan ICDs found: ${found.join(', ')}` : `no Vulkan ICD in ${dirs.join(', ')}`;
}
