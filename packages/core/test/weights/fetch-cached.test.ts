import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cacheDirectory, fetchCached } from '../../src/index.js';
import { closedPortUrl, startFakeHub, type FakeHub } from '../../../../test-utils/fake-hub.js';

const REPO = 'timm/tiny.t1';
const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 251);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('fetchCached (a hub on 127.0.0.1)', () => {
  let hub: FakeHub;
  let cacheDir: string;
  const url = () => `${hub.url}/${REPO}/resolve/main/model.safetensors`;
  const get = (log?: (l: string) => void) => fetchCached(url(), { cachePath: `${REPO}/model.safetensors`, cacheDir, what: 'pretrained weights tiny.t1', log });
  const cacheFiles = () => readdirSync(join(cacheDir, REPO));

  beforeAll(async () => {
    hub = await startFakeHub({ [`${REPO}/model.safetensors`]: bytes });
  });
  afterAll(() => hub.close());
  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'hrnet-cache-'));
    hub.requests.length = 0;
    hub.damage.length = 0;
    return () => rmSync(cacheDir, { recursive: true, force: true });
  });

  it('downloads once (following the redirect, checking the hub sha256 and size), then serves the cache', async () => {
    const file = await get();
    expect(file).toBe(join(cacheDir, 'timm', 'tiny.t1', 'model.safetensors'));
    expect(sha(readFileSync(file))).toBe(sha(bytes));
    expect(hub.requests).toEqual([`GET /${REPO}/resolve/main/model.safetensors`, `GET /cdn/${REPO}/model.safetensors`]);
    expect(await get()).toBe(file);
    expect(hub.requests).toHaveLength(2);
    expect(cacheFiles().sort()).toEqual(['model.safetensors', 'model.safetensors.json']);
  });

  it.each(['truncate', 'flip'] as const)('a %s download is detected, removed and fetched once more', async (damage) => {
    hub.damage.push(damage);
    const lines: string[] = [];
    const file = await get((l) => lines.push(l));
    expect(sha(readFileSync(file))).toBe(sha(bytes));
    expect(hub.requests.filter((r) => r.startsWith('GET /cdn'))).toHaveLength(2);
    expect(lines.some((l) => /the download was corrupted \((the connection broke|sha256 [0-9a-f]{64}, the server announced)/.test(l))).toBe(true);
    expect(cacheFiles().sort()).toEqual(['model.safetensors', 'model.safetensors.json']);
  });

  it('corrupted twice: one clear error, nothing left in the cache', async () => {
    hub.damage.push('flip', 'truncate');
    await expect(get()).rejects.toThrow(/^pretrained weights tiny\.t1: the download from http:\/\/127\.0\.0\.1:\d+\/timm\/tiny\.t1\/resolve\/main\/model\.safetensors was corrupted twice \(the connection broke.*\); nothing was kept\. .*place it at .*model\.safetensors$/);
    expect(existsSync(join(cacheDir, REPO)) ? cacheFiles() : []).toEqual([]);
  });

  it('a cached file damaged on disk is detected and fetched again; one placed by hand (no record) is used as is', async () => {
    const file = await get();
    const damaged = Uint8Array.from(bytes);
    damaged[10] ^= 1;
    writeFileSync(file, damaged);
    const lines: string[] = [];
    await get((l) => lines.push(l));
    expect(lines[0]).toMatch(/does not match its recorded size \/ sha256 \(a damaged file\); removing it and downloading again$/);
    expect(sha(readFileSync(file))).toBe(sha(bytes));
    rmSync(`${file}.json`);
    writeFileSync(file, 'placed by hand');
    hub.requests.length = 0;
    expect(readFileSync(await get(), 'utf8')).toBe('placed by hand');
    expect(hub.requests).toEqual([]);
  });

  it('offline and unknown names: one line each', async () => {
    const offline = `${await closedPortUrl()}/${REPO}/resolve/main/model.safetensors`;
    await expect(fetchCached(offline, { cachePath: `${REPO}/model.safetensors`, cacheDir, what: 'pretrained weights tiny.t1' })).rejects.toThrow(
      /^pretrained weights tiny\.t1: cannot download http:\/\/127\.0\.0\.1:\d+\/\S+ \(ECONNREFUSED\): offline\? Download it by hand and place it at .*model\.safetensors \(used as is\), or set HRNET_HUB_URL to a mirror$/,
    );
    await expect(fetchCached(`${hub.url}/timm/nope.t1/resolve/main/model.safetensors`, { cachePath: 'timm/nope.t1/model.safetensors', cacheDir, what: 'pretrained weights nope.t1' })).rejects.toThrow(
      /^pretrained weights nope\.t1: \S+ answered HTTP 404 \(no such file: check the model name and tag\)$/,
    );
  });

  it('the cache folder: the option, else HRNET_CACHE_DIR, else ~/.cache/hrnet', () => {
    const saved = process.env.HRNET_CACHE_DIR;
    try {
      process.env.HRNET_CACHE_DIR = '/tmp/elsewhere';
      expect(cacheDirectory('/tmp/mine')).toBe('/tmp/mine');
      expect(cacheDirectory()).toBe('/tmp/elsewhere');
      delete process.env.HRNET_CACHE_DIR;
      expect(cacheDirectory()).toMatch(/\.cache\/hrnet$/);
    } finally {
      if (saved === undefined) delete process.env.HRNET_CACHE_DIR;
      else process.env.HRNET_CACHE_DIR = saved;
    }
  });
});
