import { parse as parseYaml } from 'yaml';
import type { ConfigOverride } from './cli-args.js';
import { ConfigError } from './config.js';

/**
 * A command-line value as the config file would hold it: a YAML scalar or flow list (`4` → 4, `True` → true,
 * `[0.08, 1.0]` → a list, `hrnet_w32` → a string), as MindCV's typed argparse and yacs' literal_eval read them.
 */
export function parseOverrideValue(value: string): unknown {
  try {
    return parseYaml(value) ?? value;
  } catch {
    return value;
  }
}

const isSection = (v: unknown): v is Record<string, unknown> => v != null && typeof v === 'object' && !Array.isArray(v);

/**
 * A copy of the parsed config `doc` with each override's dotted key set (sections created as needed); the
 * result is validated by the caller, so an unknown key is the schema's error naming it.
 */
export function applyConfigOverrides(doc: unknown, overrides: readonly ConfigOverride[], source: string): Record<string, unknown> {
  if (doc != null && !isSection(doc)) throw new ConfigError(`${source}: expected a mapping of keys at the top level`);
  const out = structuredClone((doc ?? {}) as Record<string, unknown>);
  for (const o of overrides) {
    const parts = o.key.split('.');
    let at = out;
    parts.slice(0, -1).forEach((part, k) => {
      const next = at[part] ?? (at[part] = {});
      if (!isSection(next)) throw new ConfigError(`${source}: ${o.given}: '${parts.slice(0, k + 1).join('.')}' is a value, not a section`);
      at = next;
    });
    at[parts.at(-1)!] = parseOverrideValue(o.value);
  }
  return out;
}
