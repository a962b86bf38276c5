/**
 * A stand-in for the Hugging Face hub on 127.0.0.1, so download tests never touch the internet: `GET
 * /<repo>/resolve/main/<file>` answers 302 with the LFS headers the hub sends (`x-linked-etag` = sha256,
 * `x-linked-size`) and a `Location` on a CDN path, which serves the bytes. `damage` alters the next CDN answers.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the next CDN answers go wrong: cut short (the announced length, fewer bytes) or one byte flipped. */
export type Damage = 'truncate' | 'flip';

export interface FakeHub {
  /** Base URL, as HRNET_HUB_URL / `hubUrl` take it. */
  url: string;
  /** Requests received, as `<method> <path>`. */
  requests: string[];
  /** The next CDN answers are damaged, in this order (one entry per answer). */
  damage: Damage[];
  close(): Promise<void>;
}

/** Serves `files` (`<repo>/<file>` → bytes, e.g. `timm/hrnet_w18_small.ms_in1k/model.safetensors`). */
export async function startFakeHub(files: Record<string, Uint8Array>): Promise<FakeHub> {
  const requests: string[] = [];
  const damage: Damage[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
    requests.push(`${req.method} /${path}`);
    const hub = /^(.+)\/resolve\/main\/(.+)$/.exec(path);
    if (hub) {
      const bytes = files[`${hub[1]}/${hub[2]}`];
      if (!bytes) return res.writeHead(404).end('Entry not found');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      return res.writeHead(302, { location: `/cdn/${hub[1]}/${hub[2]}`, 'x-linked-etag': `"${sha256}"`, 'x-linked-size': String(bytes.length) }).end();
    }
    const cdn = /^cdn\/(.+)$/.exec(path);
    const bytes = cdn ? files[cdn[1]] : undefined;
    if (!bytes) return res.writeHead(404).end();
    const how = damage.shift();
    res.writeHead(200, { 'content-length': String(bytes.length), 'content-type': 'application/octet-stream' });
    if (how === 'truncate') {
      res.write(bytes.subarray(0, bytes.length >> 1));
      return res.destroy(); // the connection drops mid-body
    }
    if (how === 'flip') {
      const copy = Uint8Array.from(bytes);
      copy[copy.length >> 1] ^= 0xff;
      return res.end(copy);
    }
    res.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    damage,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (a closed server's): an offline hub. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
