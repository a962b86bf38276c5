import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a script's `main` may return: nothing (exit 0) or an exit code. */
export type ScriptMain = (argv: string[]) => Promise<void | number>;

/** Error names whose message is written for the user, and the word that leads their line. */
const LEADS: Record<string, string> = { ConfigError: 'config error', CheckpointError: 'checkpoint error' };

/** `--debug` on the command line or `DEBUG` set (not to 0/false) in the environment. */
export function debugRequested(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): boolean {
  const d = env.DEBUG;
  return argv.includes('--debug') || (d != null && d !== '' && !/^(0|false|no|off)$/i.test(d));
}

/**
 * The one line a failed script prints: `error: <message>` (`config error:`, `checkpoint error:` for those),
 * multi-line messages joined with "; " (without the stack frames an error relayed from a worker carries), and for a bad command line (`ArgsError`) where to find the usage.
 */
export function formatScriptError(err: unknown, script: string): string {
  const e = err instanceof Error ? err : new Error(String(err));
  // Stack frames inside a message (an error relayed from a worker thread carries its stack) are left to --debug.
  const lines = e.message.split('\n').filter((l) => !/^\s+at /.test(l));
  const message = lines.map((l) => l.trim()).filter(Boolean).join('; ') || e.name;
  const lead = LEADS[e.name] ?? 'error';
  const hint = e.name === 'ArgsError' ? ` (usage: ${script} --help)` : '';
  return `${lead}: ${message}${hint}`;
}

/**
 * Runs a command-line script's `main` with the one error policy of every hrnet.ts script: a failure prints one
 * line on stderr ({@link formatScriptError}, naming the script as the user can run it) and exits with code 1; the
 * stack only with `--debug` or `DEBUG=1`. `main` gets the arguments after the script; it should parse them before
 * importing tfjs (dynamic `import()`), so that `--help` and flag errors come back at once.
 */
export function runScript(main: ScriptMain): void {
  const argv = process.argv.slice(2);
  const fail = (err: unknown) => {
    process.stderr.write(`${formatScriptError(err, commandLine(process.argv[1] ?? 'script'))}\n`);
    if (debugRequested(argv)) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  };
  // An error thrown where no promise awaits it (a stream callback, a timer) gets the same one line, then ends the run.
  const fatal = (err: unknown) => {
    fail(err);
    process.exit(1);
  };
  process.once('uncaughtException', fatal);
  process.once('unhandledRejection', fatal);
  main(argv).then((code) => {
    if (typeof code === 'number') process.exitCode = code;
  }, fail);
}

/** Where the user typed the command: npm runs a workspace script in the workspace folder and says where in INIT_CWD. */
export function userCwd(): string {
  return process.env.INIT_CWD ?? process.cwd();
}

/** A path as the user should type it: relative to {@link userCwd} when it lies below it, else absolute. */
export function displayPath(path: string, cwd = userCwd()): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/**
 * A command line to print for the user to run next (`try: …`), valid from where they stand ({@link userCwd}):
 * the script's path relative to it, arguments quoted where the shell needs it (paths among them are the caller's
 * to make relative to the same place).
 */
export function commandLine(script: string | URL, args: readonly string[] = [], cwd = userCwd()): string {
  const file = typeof script === 'string' ? script : fileURLToPath(script);
  const rel = displayPath(file, cwd);
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['npx', 'tsx', rel, ...args].map(quote).join(' ');
}
