import { describe, expect, it } from 'vitest';
import { ArgsError, commandLine, ConfigError, debugRequested, formatScriptError } from '../src/index.js';

describe('runScript error policy', () => {
  it('formats every error as one line naming what is wrong', () => {
    expect(formatScriptError(new ArgsError('--cfg <config.yaml> is required'), 'npx tsx train.ts')).toBe('error: --cfg <config.yaml> is required (usage: npx tsx train.ts --help)');
    expect(formatScriptError(new ConfigError("a.yaml: unknown key 'x'"), 's')).toBe("config error: a.yaml: unknown key 'x'");
    expect(formatScriptError(new Error('invalid config:\n  TRAIN.LR: expected number\n  TRAIN.X: unknown key'), 's')).toBe('error: invalid config:; TRAIN.LR: expected number; TRAIN.X: unknown key');
    expect(formatScriptError('a string', 's')).toBe('error: a string');
    // a --dist rank's error arrives with the worker's stack in its message
    expect(formatScriptError(new Error("rank 0: Error: dataset root '/x' does not exist\n    at requireDir (/a.ts:1:2)\n    at async main (/b.ts:3:4)"), 's')).toBe("error: rank 0: Error: dataset root '/x' does not exist");
    expect(formatScriptError(new RangeError('the wasm heap is exhausted'), 's')).not.toContain('\n');
  });

  it('--debug or DEBUG=1 asks for the stack', () => {
    expect([debugRequested([], {}), debugRequested(['--debug'], {}), debugRequested([], { DEBUG: '1' }), debugRequested([], { DEBUG: '0' }), debugRequested([], { DEBUG: '' })]).toEqual([false, true, true, false, false]);
  });

  it('commandLine prints a command that runs from the given directory, quoted for the shell', () => {
    expect(commandLine('/repo/examples/coco-pose/valid.ts', ['--ckpt', 'output/demo/model', '--datadir', 'my data'], '/repo')).toBe("npx tsx examples/coco-pose/valid.ts --ckpt output/demo/model --datadir 'my data'");
    expect(commandLine(new URL('file:///repo/examples/x/predict.ts'), [], '/repo/examples/x')).toBe('npx tsx predict.ts');
  });
});
