import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../utils/write-file-atomic.js';

/** Environment variable overriding the download cache folder (default `~/.cache/hrnet`). */
export const HRNET_CACHE_ENV = 'HRNET_CACHE_DIR';

/** The download cache folder: `cacheDir`, else `$HRNET_CACHE_DIR`, else `~/.cache/hrnet`. */
export function cacheDirectory(cacheDir?: string): string {
  return cacheDir ?? process.env[HRNET_CACHE_ENV] ?? join(homedir(), '.cache', 'hrnet');
}

export interface FetchCachedOptions {
  /** Where the file goes inside the cache folder, '/'-separated (`timm/hrnet_w18_small.ms_in1k/model.safetensors`). */
  cachePath: string;
  /** See {@link cacheDirectory}. */
  cacheDir?: string;
  /** What the file is, for messages (`pretrained weights hrnet_w18_small.ms_in1k`). */
  what?: string;
  /** Progress lines (download started, corrupted file removed, …). Default: none. */
  log?: (line: string) => void;
}

/** What a download must match: the Hugging Face hub's `x-linked-etag` (sha256 of an LFS file) and `x-linked-size`. */
interface Expected {
  sha256?: string;
  size?: number;
}

/** A download that arrived incomplete or altered: removed, and tried once more. */
class CorruptDownload extends Error {}

const MAX_REDIRECTS = 5;
/** Socket errors of a connection that was open: the transfer broke (retried), unlike a server that cannot be reached. */
const BROKEN_CONNECTION = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'UND_ERR_BODY_TIMEOUT']);

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A quoted 64-hex-digit etag is an LFS file's sha256 on the hub; anything else says nothing. */
function sha256OfEtag(etag: string | null): string | undefined {
  const m = /^(?:W\/)?"?([0-9a-f]{64})"?$/i.exec(etag ?? '');
  return m ? m[1].toLowerCase() : undefined;
}

function sizeOf(header: string | null): number | undefined {
  return header != null && /^\d+$/.test(header) ? Number(header) : undefined;
}

/** `fetch` whose network failures (offline, refused, DNS) say so in one line. */
async function request(url: string, what: string, file: string): Promise<Response> {
  try {
    return await fetch(url, { redirect: 'manual' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    if (cause?.code && BROKEN_CONNECTION.has(cause.code)) throw new CorruptDownload(`the connection broke (${why})`);
    throw new Error(`${what}: cannot download ${url} (${why}): offline? Download it by hand and place it at ${file} (used as is), or set HRNET_HUB_URL to a mirror`);
  }
}

/** GET `url` following redirects by hand: the hub puts the LFS hash and size on its redirect, not on the CDN's answer. */
async function open200(url: string, what: string, file: string): Promise<{ res: Response; expected: Expected }> {
  const expected: Expected = {};
  let res = await request(url, what, file);
  for (let hops = 0; ; hops++) {
    expected.sha256 ??= sha256OfEtag(res.headers.get('x-linked-etag'));
    expected.size ??= sizeOf(res.headers.get('x-linked-size'));
    if (res.status < 300 || res.status >= 400) break;
    const location = res.headers.get('location');
    await res.body?.cancel();
    if (!location || hops >= MAX_REDIRECTS) throw new Error(`${what}: ${url} redirects ${location ? 'too often' : 'without a location'}`);
    res = await request(new URL(location, url).href, what, file);
  }
  if (!res.ok) {
    await res.body?.cancel();
    const hint = res.status === 404 ? ' (no such file: check the model name and tag)' : res.status === 401 || res.status === 403 ? ' (access denied)' : '';
    throw new Error(`${what}: ${url} answered HTTP ${res.status}${hint}`);
  }
  expected.size ??= sizeOf(res.headers.get('content-length'));
  return { res, expected };
}

/** Streams the body into a temp file next to `file`, hashing it, and checks it against what the server announced. */
async function download(url: string, file: string, what: string): Promise<Required<Expected>> {
  const { res, expected } = await open200(url, what, file);
  await mkdir(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  const fh = await open(tmp, 'w');
  try {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        size += chunk.length;
        await fh.write(chunk);
      }
    } catch (err) {
      throw new CorruptDownload(`the connection broke after ${size} bytes (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message})`);
    }
    const sha256 = hash.digest('hex');
    if (expected.size != null && size !== expected.size) throw new CorruptDownload(`got ${size} bytes, the server announced ${expected.size}`);
    if (expected.sha256 != null && sha256 !== expected.sha256) throw new CorruptDownload(`sha256 ${sha256}, the server announced ${expected.sha256}`);
    await fh.sync();
    await fh.close();
    // The record first, then the file: a file never lies in the cache with a record it does not match.
    await writeFileAtomic(`${file}.json`, new TextEncoder().encode(JSON.stringify({ url, sha256, size })));
    await rename(tmp, file);
    return { sha256, size };
  } finally {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
  }
}

/** The cached copy, when it matches its record (sha256 and size); a file without a record was placed by hand and is used as is. */
async function cached(file: string, what: string, log: (line: string) => void): Promise<boolean> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) return false;
  const record = await readFile(`${file}.json`, 'utf8').then(
    (t) => JSON.parse(t) as { sha256?: string; size?: number },
    () => undefined,
  );
  if (!record) return true;
  if (st.size === record.size && (await sha256OfFile(file)) === record.sha256) return true;
  log(`${what}: the cached ${file} does not match its recorded size / sha256 (a damaged file); removing it and downloading again`);
  await rm(file, { force: true });
  return false;
}

/**
 * The local path of `url`, downloaded once into the cache folder (see {@link cacheDirectory}) and verified
 * against the size and sha256 the server announces (the Hugging Face hub's `x-linked-size` / `x-linked-etag`
 * for LFS files, else `Content-Length`). An incomplete or altered download is removed and fetched once more,
 * then it is an error; a cached copy that no longer matches its record is removed and fetched again.
 * Network failures are one line saying where to put the file by hand.
 */
export async function fetchCached(url: string, opts: FetchCachedOptions): Promise<string> {
  const what = opts.what ?? url;
  const log = opts.log ?? (() => {});
  const file = join(cacheDirectory(opts.cacheDir), ...opts.cachePath.split('/'));
  if (await cached(file, what, log)) return file;
  for (let attempt = 1; ; attempt++) {
    log(`${what}: downloading ${url} → ${file}`);
    try {
      await download(url, file, what);
      return file;
    } catch (err) {
      if (!(err instanceof CorruptDownload)) throw err;
      if (attempt === 2) {
        throw new Error(`${what}: the download from ${url} was corrupted twice (${err.message}); nothing was kept. Check the connection or proxy, or download it by hand and place it at ${file}`);
      }
      log(`${what}: the download was corrupted (${err.message}); removed, downloading once more`);
    }
  }
}
