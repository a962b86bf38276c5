/**
 * The process {@link Collective}: the ranks are child processes of one launcher (`launchProcesses`), each
 * connected to it by a socket pair (the child's file descriptor 3). A rank writes its part and blocks on
 * the reply with synchronous reads (sync BatchNorm calls collectives inside tfjs ops); the launcher's
 * {@link CollectiveHub} sums the parts in rank order, so every rank gets the same bits, and ends the run
 * with one message naming the rank that died, stalled or called another collective.
 */
import { readSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { CollectiveTimeoutError, DistAbortError, type Collective } from './collective.js';

const OP_ALL_REDUCE = 1;
const OP_BROADCAST = 2;
const OP_BARRIER = 3;
const OP_NAMES: Record<number, string> = { [OP_ALL_REDUCE]: 'allReduce', [OP_BROADCAST]: 'broadcast', [OP_BARRIER]: 'barrier' };
/** Header: op, call number, float count, root (rank → launcher) or status (launcher → rank); int32 each. */
const HEADER = 16;
const STATUS_OK = 0;
const STATUS_ABORT = 1;

function retrying<T>(io: () => T): T {
  for (;;) {
    try {
      return io();
    } catch (err) {
      // a non-blocking descriptor: wait for it like a blocking one would
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) off += retrying(() => writeSync(fd, bytes, off, bytes.length - off));
}

function readAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) {
    const n = retrying(() => readSync(fd, bytes, off, bytes.length - off, null));
    if (n === 0) throw new DistAbortError('data-parallel run aborted: the launcher closed the connection (it stopped the run)');
    off += n;
  }
}

const bytesOf = (x: ArrayBufferView) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

/** One rank's end (in the child process). */
export class ProcessCollective implements Collective {
  readonly backend = 'process' as const;
  private seq = 0;

  constructor(
    readonly rank: number,
    readonly worldSize: number,
    private readonly fd = 3,
  ) {}

  private call(op: number, x: Float32Array, root: number, send: boolean): Float32Array {
    const header = new Int32Array([op, this.seq++, x.length, root]);
    writeAll(this.fd, bytesOf(header));
    if (send && x.length) writeAll(this.fd, bytesOf(x));
    const reply = new Int32Array(HEADER / 4);
    readAll(this.fd, bytesOf(reply));
    if (reply[3] === STATUS_ABORT) {
      const text = new Uint8Array(reply[2]);
      readAll(this.fd, text);
      const message = new TextDecoder().decode(text);
      throw /timed out/.test(message) ? new CollectiveTimeoutError(message) : new DistAbortError(message);
    }
    const out = new Float32Array(reply[2]);
    readAll(this.fd, bytesOf(out));
    return out;
  }

  allReduceSum(x: Float32Array): Float32Array {
    return this.worldSize === 1 ? x.slice() : this.call(OP_ALL_REDUCE, x, 0, true);
  }

  broadcast(x: Float32Array, root = 0): Float32Array {
    return this.worldSize === 1 ? x.slice() : this.call(OP_BROADCAST, x, root, this.rank === root);
  }

  barrier(): void {
    if (this.worldSize > 1) this.call(OP_BARRIER, new Float32Array(0), 0, false);
  }

  /** The launcher ends the run when this process exits non-zero. */
  abort(): void {}
}

interface Frame {
  op: number;
  seq: number;
  count: number;
  root: number;
  payload?: Float32Array;
}

/** Reassembles one rank's frames from its socket's chunks. */
class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private header?: Frame;

  constructor(
    private readonly rank: number,
    private readonly onFrame: (f: Frame) => void,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (!this.header) {
        if (this.buffered < HEADER) return;
        const h = new Int32Array(this.take(HEADER).buffer, 0, 4);
        this.header = { op: h[0], seq: h[1], count: h[2], root: h[3] };
      }
      const f = this.header;
      const carries = f.op === OP_ALL_REDUCE || (f.op === OP_BROADCAST && f.root === this.rank);
      const need = carries ? f.count * 4 : 0;
      if (this.buffered < need) return;
      if (need) f.payload = new Float32Array(this.take(need).buffer, 0, f.count);
      this.header = undefined;
      this.onFrame(f);
    }
  }

  /** The next `n` buffered bytes, in a fresh (aligned) buffer. */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}

const describe = (f: Frame) => (f.op === OP_BARRIER ? 'barrier' : `${OP_NAMES[f.op] ?? `op ${f.op}`} of ${f.count} floats${f.op === OP_BROADCAST ? ` from rank ${f.root}` : ''}`);

/** The launcher's end: serves the collectives of `sockets[rank]`; `fail` is called once, with one line, when the run cannot go on. */
export class CollectiveHub {
  private readonly pending: (Frame | undefined)[];
  private readonly closed: boolean[];
  private timer?: NodeJS.Timeout;
  private failed = false;

  constructor(
    private readonly sockets: Socket[],
    private readonly timeoutMs: number,
    private readonly fail: (message: string) => void,
  ) {
    this.pending = sockets.map(() => undefined);
    this.closed = sockets.map(() => false);
    sockets.forEach((s, rank) => {
      const reader = new FrameReader(rank, (f) => this.arrive(rank, f));
      s.on('data', (c: Buffer) => reader.push(c));
      s.on('error', () => undefined); // a dead rank's socket: reported through 'close' and its exit
      s.on('close', () => {
        this.closed[rank] = true;
        if (this.pending.some((p) => p)) this.lost(rank);
      });
    });
  }

  private arrive(rank: number, f: Frame): void {
    if (this.failed) return;
    this.pending[rank] = f;
    const missing = this.pending.map((p, r) => (p ? -1 : r)).filter((r) => r >= 0);
    const gone = missing.filter((r) => this.closed[r]);
    if (gone.length) return this.lost(gone[0]);
    if (missing.length) {
      this.timer ??= setTimeout(() => {
        const late = this.pending.map((p, r) => (p ? -1 : r)).filter((r) => r >= 0);
        this.stop(`a collective (${describe(f)}) timed out after ${this.timeoutMs / 1000} s: rank(s) ${late.join(', ')} did not reach it (HRNET_DIST_TIMEOUT)`);
      }, this.timeoutMs);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    const frames = [...this.pending] as Frame[];
    this.pending.fill(undefined);
    const first = frames[0];
    const odd = frames.findIndex((g) => g.op !== first.op || g.count !== first.count || g.root !== first.root || g.seq !== first.seq);
    if (odd >= 0) return this.stop(`ranks disagree on the collective: rank 0 called ${describe(first)}, rank ${odd} ${describe(frames[odd])}`);
    let result: Float32Array;
    if (first.op === OP_ALL_REDUCE) {
      // rank order, so the sum is the same whatever order the parts arrived in
      result = frames[0].payload!;
      for (let r = 1; r < frames.length; r++) {
        const p = frames[r].payload!;
        for (let i = 0; i < p.length; i++) result[i] += p[i];
      }
    } else if (first.op === OP_BROADCAST) {
      result = frames[first.root]?.payload ?? new Float32Array(0);
    } else result = new Float32Array(0);
    const header = Buffer.from(new Int32Array([first.op, first.seq, result.length, STATUS_OK]).buffer);
    const body = Buffer.from(result.buffer, result.byteOffset, result.byteLength);
    for (const s of this.sockets) {
      s.write(header);
      if (body.length) s.write(body);
    }
  }

  /** A rank's connection closed while others wait for it; its exit status, reported by the launcher within the grace period, says more. */
  private lost(rank: number): void {
    setTimeout(() => this.stop(`rank ${rank} exited while the others wait in a collective`), 500).unref();
  }

  /** Tells every rank blocked in a collective why the run stops, and reports it (once). */
  stop(message: string): void {
    if (this.failed) return;
    this.failed = true;
    clearTimeout(this.timer);
    const text = Buffer.from(message);
    const header = Buffer.from(new Int32Array([0, 0, text.length, STATUS_ABORT]).buffer);
    this.sockets.forEach((s, r) => {
      if (this.pending[r] && !this.closed[r]) s.write(Buffer.concat([header, text]));
    });
    this.fail(message);
  }

  close(): void {
    clearTimeout(this.timer);
    for (const s of this.sockets) s.destroy();
  }
}
