/**
 * How a data-parallel run starts, the way the seeds start theirs: `mpirun -n N <script>` (every rank reads
 * its rank and world size from the MPI environment and joins through OpenMPI), or `--dist N`, where the
 * script re-runs itself as N local processes through {@link launchProcesses} (each joins through a socket
 * pair to the launcher). Each rank is a whole process, so it can own a GPU: `CUDA_VISIBLE_DEVICES` is set
 * per rank before the process starts, and a webgpu rank picks its adapter by rank.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Socket } from 'node:net';
import { adapterIndexForRank, listWebgpuAdapters } from '@hrnet/core/backend';
import { collectiveTimeoutMs, DistAbortError, type Collective } from './collective.js';
import { MpiCollective, loadMpiAddon } from './collective-mpi.js';
import { CollectiveHub, ProcessCollective } from './collective-process.js';
import type { DistContext } from './dist.js';
import { envInt, rankFromEnv } from './rank-env.js';

/**
 * Joins the run this process was started in ({@link rankFromEnv}): a {@link Collective} over MPI or over
 * the launcher's socket pair; undefined for a single process (also under `mpirun -n 1`). Under mpirun
 * without the MPI addon it throws one line saying why.
 */
export async function joinWorld(opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Collective | undefined> {
  const env = opts.env ?? process.env;
  const me = rankFromEnv(env);
  if (!me || me.worldSize === 1) return undefined;
  const timeoutMs = opts.timeoutMs ?? collectiveTimeoutMs(env);
  if (me.launcher === 'process') return new ProcessCollective(me.rank, me.worldSize, envInt(env.HRNET_DIST_FD) ?? 3);
  const { addon, reason } = await loadMpiAddon();
  if (!addon) throw new Error(`started by an MPI launcher as rank ${me.rank} of ${me.worldSize}, but the MPI collective is unavailable: ${reason}`);
  return new MpiCollective(addon, timeoutMs);
}

/** NVIDIA GPUs the driver exposes (`/dev/nvidia0`, …); 0 without one. */
function nvidiaDeviceCount(): number {
  try {
    return readdirSync('/dev').filter((f) => /^nvidia\d+$/.test(f)).length;
  } catch {
    return 0;
  }
}

/**
 * The GPUs ranks are spread over: `devices` (`--device 2,3`) when given, else `CUDA_VISIBLE_DEVICES`, else
 * every NVIDIA GPU of the machine (`gpuCount`, default: the `/dev/nvidiaN` count); empty without GPUs.
 */
export function visibleDevices(opts: { devices?: readonly number[]; env?: NodeJS.ProcessEnv; gpuCount?: number } = {}): string[] {
  if (opts.devices?.length) return opts.devices.map(String);
  const cvd = (opts.env ?? process.env).CUDA_VISIBLE_DEVICES;
  if (cvd != null && cvd.trim() !== '') return cvd.split(',').map((s) => s.trim());
  return Array.from({ length: opts.gpuCount ?? nvidiaDeviceCount() }, (_, i) => String(i));
}

/**
 * The environment a rank's process starts with for its GPU: `CUDA_VISIBLE_DEVICES` = its one device
 * (tfjs-node-gpu's CUDA then sees only that GPU, as device 0), rank modulo the device count; nothing
 * without GPUs. With an explicit `--device` list every rank needs its own entry.
 */
export function rankDeviceEnv(rank: number, worldSize: number, devices: readonly string[], explicit = false): Record<string, string> {
  if (devices.length === 0) return {};
  if (explicit && devices.length < worldSize) throw new Error(`--device ${devices.join(',')} names ${devices.length} device(s) for ${worldSize} ranks`);
  return { CUDA_VISIBLE_DEVICES: devices[rank % devices.length] };
}

/** `--dist` without a count: one rank per visible GPU (at least 1). */
export function resolveWorldSize(worldSize: number | 'auto', opts: { devices?: readonly number[]; env?: NodeJS.ProcessEnv; gpuCount?: number } = {}): number {
  if (worldSize !== 'auto') {
    if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`--dist expects a positive integer or nothing, got ${worldSize}`);
    return worldSize;
  }
  return Math.max(1, visibleDevices(opts).length);
}

/**
 * A run's world size: the environment's when this process is a rank (mpirun, {@link launchProcesses}), else
 * `--dist N`, bare `--dist` (`'all'`: one rank per visible GPU, at least 1), or 1.
 */
export function dataParallelWorld(dist: number | 'all' | undefined, opts: { devices?: readonly number[]; env?: NodeJS.ProcessEnv; gpuCount?: number } = {}): number {
  const me = rankFromEnv(opts.env);
  if (me) return me.worldSize;
  return dist == null ? 1 : resolveWorldSize(dist === 'all' ? 'auto' : dist, opts);
}

export interface LaunchProcessesOptions {
  /** Ranks, or 'auto' (one per visible GPU, see {@link resolveWorldSize}). */
  worldSize: number | 'auto';
  /** Module each rank runs; default this process's script (`process.argv[1]`), with this process's Node flags (tsx's loader). */
  script?: string;
  /** Its arguments; default this process's. */
  args?: readonly string[];
  /** Node's flags for the ranks; default this process's (`process.execArgv`: tsx's loader under `tsx`). */
  nodeArgs?: readonly string[];
  /** `--device`: GPU indices, one per rank (default: rank modulo the visible GPUs). */
  devices?: readonly number[];
  /** Milliseconds a collective may wait for a rank (default `HRNET_DIST_TIMEOUT` or 600 s). */
  timeoutMs?: number;
  /** Extra environment for every rank. */
  env?: NodeJS.ProcessEnv;
  /** Called with each rank's process as it starts (tests). */
  onSpawn?: (rank: number, child: ChildProcess) => void;
}

/**
 * Runs the data-parallel job as `worldSize` local processes connected through this one (which only relays
 * collectives: it loads no model). Resolves when every rank exited 0. When a rank dies, exits non-zero or
 * stalls a collective past the timeout, the others are stopped at once (SIGTERM, SIGKILL 3 s later) and it
 * rejects with one {@link DistAbortError} line naming the rank.
 */
export async function launchProcesses(opts: LaunchProcessesOptions): Promise<void> {
  const worldSize = resolveWorldSize(opts.worldSize, { devices: opts.devices });
  const script = opts.script ?? process.argv[1];
  const args = opts.args ?? process.argv.slice(2);
  const devices = visibleDevices({ devices: opts.devices });
  const children: ChildProcess[] = [];
  let failure: string | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stopAll = (message: string) => {
    if (failure) return;
    failure = message;
    for (const c of children) if (c.exitCode == null && c.signalCode == null) c.kill('SIGTERM');
    killTimer = setTimeout(() => children.forEach((c) => c.exitCode == null && c.signalCode == null && c.kill('SIGKILL')), 3000);
  };
  const exits = Array.from({ length: worldSize }, (_, rank) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? process.execArgv), script, ...args], {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
      env: {
        ...process.env,
        ...opts.env,
        ...rankDeviceEnv(rank, worldSize, devices, !!opts.devices?.length),
        HRNET_DIST_RANK: String(rank),
        HRNET_DIST_WORLD_SIZE: String(worldSize),
        HRNET_DIST_FD: '3',
      },
    });
    children.push(child);
    opts.onSpawn?.(rank, child);
    return new Promise<void>((resolve) => {
      child.on('error', (err) => stopAll(`rank ${rank} could not start: ${err.message}`));
      child.on('exit', (code, signal) => {
        if (signal) stopAll(`rank ${rank} was killed by ${signal}`);
        else if (code !== 0) stopAll(`rank ${rank} exited with code ${code}`);
        resolve();
      });
    });
  });
  const hub = new CollectiveHub(children.map((c) => c.stdio[3] as Socket), opts.timeoutMs ?? collectiveTimeoutMs(), stopAll);
  try {
    await Promise.all(exits);
  } finally {
    clearTimeout(killTimer);
    hub.close();
  }
  if (failure) throw new DistAbortError(`data-parallel run failed: ${failure}; stopped the other ranks`);
}

/** The webgpu adapter of `rank` (`--device` list by rank, else rank modulo the adapters Dawn lists). */
export async function rankAdapter(rank: number, devices?: readonly number[]): Promise<number> {
  return adapterIndexForRank(rank, (await listWebgpuAdapters()).length, devices);
}

/** What a training script is in a data-parallel run (see {@link dataParallelRole}). */
export type DataParallelRole = { kind: 'single' } | { kind: 'launcher'; worldSize: number } | { kind: 'rank'; dist: DistContext };

/**
 * What this training script is, from its `--dist` value and the environment: a rank started by mpirun or
 * by {@link launchProcesses} (it has joined the run's collective), the launcher of `--dist N` / bare
 * `--dist` (`true` or 'auto': one rank per visible GPU), or a single process (`--dist 1`, `--distribute
 * False`, `mpirun -n 1`, no flag).
 */
export async function dataParallelRole(dist: number | 'auto' | boolean | undefined, opts: { devices?: readonly number[] } = {}): Promise<DataParallelRole> {
  if (rankFromEnv()) {
    const comm = await joinWorld();
    return comm ? { kind: 'rank', dist: { rank: comm.rank, worldSize: comm.worldSize, comm } } : { kind: 'single' };
  }
  if (dist == null || dist === false) return { kind: 'single' };
  const worldSize = resolveWorldSize(dist === true ? 'auto' : dist, opts);
  return worldSize > 1 ? { kind: 'launcher', worldSize } : { kind: 'single' };
}

/** What a training script runs as after {@link startDataParallel}: one rank of a run, or the only process. */
export interface TrainingRank {
  /** The data-parallel context (with `--sync_bn`); undefined in a single process. */
  dist?: DistContext & { syncBn?: boolean };
  /** Backend threads of this rank: the machine's cores shared by the ranks; undefined in a single process. */
  threads?: number;
  /** Rank 0 or the only process: the one that logs, evaluates and reports. */
  isMain: boolean;
}

/**
 * A training script's data-parallel start from its flags (bare `--dist` / `--distribute True`, `--dist N`,
 * `--device`, `--sync_bn`) or from the environment of a rank that mpirun or {@link launchProcesses} started.
 * The launcher re-runs the script as the ranks and resolves undefined when they are done; a rank, or a single
 * process, gets its {@link TrainingRank}. `perRank` names what one rank takes of each step, for the log.
 */
export async function startDataParallel(
  args: { dist?: number | 'all'; distribute?: boolean; device?: number[]; sync_bn?: boolean },
  perRank: string,
): Promise<TrainingRank | undefined> {
  const dist = args.dist ?? (args.distribute ? 'all' : undefined);
  const world = dataParallelWorld(dist, { devices: args.device });
  if (dist === 'all' && world === 1) console.log('[dist] one rank per GPU device: no GPU is visible, so 1 process');
  const role = await dataParallelRole(world, { devices: args.device });
  if (role.kind === 'launcher') {
    // Every rank runs the script with these flags (a synthetic data set is generated from its seed by each).
    console.log(`[dist] ${world} data-parallel processes on this machine, ${perRank} each per step (as ${world} GPUs)`);
    await launchProcesses({ worldSize: world, devices: args.device });
    return undefined;
  }
  if (role.kind === 'single') return { isMain: true };
  return { dist: { ...role.dist, syncBn: args.sync_bn }, threads: Math.max(1, Math.floor(availableParallelism() / role.dist.worldSize)), isMain: role.dist.rank === 0 };
}
