import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';

/** tsx's loader by path, so a script runs from any working directory. */
const TSX = pathToFileURL(new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).pathname).href;

/** What a script run printed and returned. */
export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A resolve hook that refuses TensorFlow.js: a script run with `noTfjs` proves it answered (--help, a flag error)
 * before importing it, the point of parsing flags first.
 */
const NO_TFJS_HOOK = `data:text/javascript,${encodeURIComponent(
  "import { register } from 'node:module';" +
    `register('data:text/javascript,' + encodeURIComponent("export async function resolve(s, c, next) { if (s.startsWith('@tensorflow/')) throw new Error('TensorFlow.js was imported before the command line was handled (' + s + ')'); return next(s, c); }"));`,
)}`;

/**
 * Runs a TypeScript script as `npx tsx` would (node with tsx's loader, without npx's start-up), in `opts.cwd`
 * (default: the script's folder); resolves with the exit code and output, never rejects on a non-zero exit.
 */
export function runScript(script: string, args: readonly string[], opts: { cwd?: string; noTfjs?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ScriptRun> {
  const node = ['--import', TSX, ...(opts.noTfjs ? ['--import', NO_TFJS_HOOK] : []), script, ...args];
  return runCommand(process.execPath, node, opts.cwd ?? dirname(script), opts);
}

/** Runs a command; resolves with its exit code and output. */
export function runCommand(file: string, args: readonly string[], cwd: string, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ScriptRun> {
  return new Promise((resolve) => {
    // As typed in a shell in `cwd`: no INIT_CWD from the npm script running the tests, no DEBUG.
    const { INIT_CWD: _npmCwd, ...env } = process.env;
    execFile(file, args, { cwd, env: { ...env, DEBUG: '', ...opts.env }, maxBuffer: 16 << 20, timeout: opts.timeoutMs ?? 300_000 }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The user-error contract of every script: exit code 1 and exactly one line on stderr, no stack frame. */
export function userErrorLine(run: ScriptRun): string | undefined {
  const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
  if (run.code !== 1 || lines.length !== 1 || /^\s+at /m.test(run.stderr)) return undefined;
  return lines[0];
}

/** Asserts the user-error contract ({@link userErrorLine}) and that the line says `expected`. */
export function expectUserError(run: ScriptRun, expected: string | RegExp): void {
  const line = userErrorLine(run);
  expect(line, `exit ${run.code}, stderr:\n${run.stderr}`).toBeDefined();
  if (typeof expected === 'string') expect(line).toContain(expected);
  else expect(line).toMatch(expected);
}
