import { ArgsError, ConfigError } from '@hrnet/train';

/**
 * Runs a script's `main` with the examples' error contract: any failure is one line on stderr (`error: …`, or
 * `config error: …` naming the file and key) and exit code 1; the stack trace only with `--debug` (removed from
 * the arguments before `main` parses them).
 */
export function runScript(main: (argv: string[]) => Promise<void>): void {
  const argv = process.argv.slice(2);
  const debug = argv.includes('--debug');
  main(argv.filter((a) => a !== '--debug')).catch((err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    const hint = e instanceof ArgsError ? ' (--help for usage)' : '';
    console.error(`${e instanceof ConfigError ? 'config error' : 'error'}: ${e.message.split('\n')[0]}${hint}`);
    if (debug) console.error(e.stack);
    process.exitCode = 1;
  });
}
