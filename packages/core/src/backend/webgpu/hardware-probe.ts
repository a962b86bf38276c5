import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** What the probe reports of Dawn's default high-performance adapter. */
export interface ProbedAdapter {
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}

// Runs in a child: Dawn writes driver warnings straight to the process's stderr (fd 2), and a driver may crash.
const PROBE = `
const { create } = await import(process.argv[1]);
const a = await create([]).requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
process.stdout.write(JSON.stringify(a && { architecture: a.info.architecture, device: a.info.device, description: a.info.description, isFallbackAdapter: a.isFallbackAdapter }));
process.exit(0);
`;

let probe: Promise<ProbedAdapter | null> | undefined;

/**
 * Dawn's default adapter, looked at in a child process whose stderr is discarded, so that `initBackend('auto')`
 * can pass over a software-only machine (lavapipe) without Dawn's warnings in the user's output; null when
 * `webgpu` is not installed, no adapter exists or the probe fails (20 s at most: Node and Dawn start slowly on a loaded machine).
 */
export function probeDefaultAdapter(): Promise<ProbedAdapter | null> {
  probe ??= new Promise((resolve) => {
    let entry: string;
    try {
      entry = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
    } catch {
      return resolve(null);
    }
    execFile(process.execPath, ['--input-type=module', '-e', PROBE, entry], { timeout: 20_000 }, (err, stdout) => {
      if (err) return resolve(null);
      try {
        resolve(JSON.parse(stdout) as ProbedAdapter | null);
      } catch {
        resolve(null);
      }
    });
  });
  return probe;
}
