/**
 * The changesets config writes a CHANGELOG.md per publishable package and bumps by semver: `changeset version`
 * runs on a copy of the workspace's manifests and pending changesets in a temp dir (the repository is untouched).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUMPS = ['patch', 'minor', 'major'] as const;

function bump(version: string, type: (typeof BUMPS)[number]): string {
  const [major, minor, patch] = version.split('.').map(Number);
  return type === 'major' ? `${major + 1}.0.0` : type === 'minor' ? `${major}.${minor + 1}.0` : `${major}.${minor}.${patch + 1}`;
}

describe('changeset version with the repository config', () => {
  let tmp: string;
  const manifests = new Map<string, { dir: string; json: any }>();
  /** Package → [highest bump, summaries] from the pending changesets. */
  const pending = new Map<string, { type: (typeof BUMPS)[number]; summaries: string[] }>();

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hrnet-changesets-'));
    await cp(join(ROOT, '.changeset'), join(tmp, '.changeset'), { recursive: true });
    await cp(join(ROOT, 'package.json'), join(tmp, 'package.json'));
    for (const group of ['packages', 'examples']) {
      for (const d of await readdir(join(ROOT, group))) {
        const dir = `${group}/${d}`;
        const text = await readFile(join(ROOT, dir, 'package.json'), 'utf8').catch(() => undefined);
        if (!text) continue;
        await mkdir(join(tmp, dir), { recursive: true });
        await writeFile(join(tmp, dir, 'package.json'), text);
        manifests.set(JSON.parse(text).name, { dir, json: JSON.parse(text) });
      }
    }
    await mkdir(join(tmp, 'tools'));
    await cp(join(ROOT, 'tools/package.json'), join(tmp, 'tools/package.json'));
    for (const f of (await readdir(join(ROOT, '.changeset'))).filter((n) => n.endsWith('.md') && n !== 'README.md')) {
      const [, front, body] = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(await readFile(join(ROOT, '.changeset', f), 'utf8'))!;
      for (const m of front.matchAll(/^['"]?(@[^'":]+)['"]?:\s*(patch|minor|major)/gm)) {
        const e = pending.get(m[1]) ?? { type: 'patch' as const, summaries: [] };
        if (BUMPS.indexOf(m[2] as (typeof BUMPS)[number]) > BUMPS.indexOf(e.type)) e.type = m[2] as (typeof BUMPS)[number];
        e.summaries.push(body.trim().split('\n')[0]);
        pending.set(m[1], e);
      }
    }
    const bin = join(ROOT, 'node_modules/@changesets/cli/bin.js');
    await promisify(execFile)(process.execPath, [bin, 'version'], { cwd: tmp });
  });

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('bumps each package by its highest pending changeset and writes its CHANGELOG.md with every entry; private packages untouched', async () => {
    expect(pending.size).toBeGreaterThan(0);
    for (const [name, { dir, json }] of manifests) {
      const after = JSON.parse(await readFile(join(tmp, dir, 'package.json'), 'utf8'));
      const changes = pending.get(name);
      if (json.private) {
        expect(after.version, name).toBe(json.version);
        continue;
      }
      if (!changes) continue;
      expect(after.version, name).toBe(bump(json.version, changes.type));
      const log = await readFile(join(tmp, dir, 'CHANGELOG.md'), 'utf8');
      expect(log.startsWith(`# ${name}\n\n## ${after.version}\n`), name).toBe(true);
      for (const s of changes.summaries) expect(log, `${name}: ${s}`).toContain(s.slice(0, 60));
    }
  });
});
