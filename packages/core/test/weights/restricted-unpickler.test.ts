import { describe, expect, it } from 'vitest';
import { PickleSecurityError, UnpicklingError, unpickle, type GlobalAllowlist } from '../../src/weights/restricted-unpickler.js';
import { TORCH_GLOBALS, decodePytorchCheckpoint } from '../../src/weights/pytorch-checkpoint.js';
import { Pickler, torchZip } from '../../../../test-utils/torch-zip-writer.js';

const enc = (s: string) => [...new TextEncoder().encode(s)];
const bytes = (...parts: Array<number | string | number[]>) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : typeof p === 'string' ? enc(p) : p)));
const load = (b: Uint8Array, globals: GlobalAllowlist = TORCH_GLOBALS) => unpickle(b, { source: 'test.pkl', globals });

describe('restricted unpickler', () => {
  it('reads protocol-2 containers and scalars', () => {
    // {'a': [1, -2, 300, 70000, 2**40, -2**70], 'b': (None, True, False, 1.5), 'c': 'é', 'd': <memo 'a'>}
    const p = new Pickler().proto(2);
    p.bytes(0x7d).put().bytes(0x28);
    p.str('a').bytes(0x5d).put().bytes(0x28).int(1).int(-2).int(300).int(70000).int(2 ** 40);
    p.bytes(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0); // LONG1 -2**70
    p.bytes(0x65);
    p.str('b').bytes(0x28, 0x4e, 0x88, 0x89).float(1.5).bytes(0x74); // MARK None True False 1.5 TUPLE
    p.str('c').str('é');
    p.str('d').bytes(0x68, 1); // BINGET of the memoized 'a'
    p.bytes(0x75);
    const out = load(p.stop()) as Map<string, unknown>;
    expect(out).toBeInstanceOf(Map);
    expect(out.get('a')).toEqual([1, -2, 300, 70000, 2 ** 40, -(2n ** 70n)]);
    expect(out.get('b')).toEqual([null, true, false, 1.5]);
    expect(out.get('c')).toBe('é');
    expect(out.get('d')).toBe('a');
  });

  it('reads protocol-4 opcodes (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL of an allowed global, EMPTY_SET)', () => {
    const b = bytes(
      0x80, 4, 0x95, 20, 0, 0, 0, 0, 0, 0, 0,
      0x8c, 11, 'collections', 0x94, 0x8c, 11, 'OrderedDict', 0x94, 0x93, 0x94, 0x29, 0x52, 0x94,
      0x8c, 1, 'k', 0x94, 0x8f, 0x94, 0x28, 0x4b, 1, 0x4b, 2, 0x90, 0x73,
      0x8c, 1, 'x', 0x43, 2, 0xff, 0x00, 0x73,
      0x2e,
    );
    const out = load(b) as Map<string, unknown>;
    expect(out.get('k')).toEqual(new Set([1, 2]));
    expect(out.get('x')).toEqual(new Uint8Array([0xff, 0]));
  });

  it.each([
    ['GLOBAL posix.system with REDUCE', bytes(0x80, 2, 'cposix\nsystem\n', 0x71, 0, 'X', [2, 0, 0, 0], 'id', 0x85, 0x52, 0x2e), 'posix.system'],
    ['GLOBAL os.system with REDUCE', bytes(0x80, 2, 'cos\nsystem\n', 'X', [5, 0, 0, 0], 'touch', 0x85, 0x52, 0x2e), 'os.system'],
    ['STACK_GLOBAL builtins.eval', bytes(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'eval', 0x93, 0x8c, 4, '1+1', 0x85, 0x52, 0x2e), 'builtins.eval'],
    ['GLOBAL subprocess.Popen', bytes(0x80, 2, 'csubprocess\nPopen\n', 0x29, 0x52, 0x2e), 'subprocess.Popen'],
    ['INST os.system', bytes(0x28, 'X', [2, 0, 0, 0], 'ls', 'ios\nsystem\n', 0x2e), 'os.system'],
    ['a prototype name on an allowed module', bytes(0x80, 2, 'ccollections\nconstructor\n', 0x2e), 'collections.constructor'],
  ])('rejects %s, naming the global and the file', (_, b, global) => {
    let err: unknown;
    try {
      load(b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PickleSecurityError);
    expect((err as PickleSecurityError).global).toBe(global);
    expect((err as Error).message).toContain(`'${global}'`);
    expect((err as Error).message).toContain('test.pkl');
    expect((err as Error).message).toMatch(/Nothing was executed/);
  });

  it('rejects a malicious checkpoint zip before reading any tensor, naming global and file', () => {
    const evil = bytes(0x80, 2, 'cos\nsystem\n', 'X', [9, 0, 0, 0], 'rm -rf /!', 0x85, 0x52, 0x2e);
    const zip = torchZip(evil, []);
    expect(() => decodePytorchCheckpoint(zip, 'evil.pth')).toThrow(PickleSecurityError);
    expect(() => decodePytorchCheckpoint(zip, 'evil.pth')).toThrow(/evil\.pth: refusing to load global 'os\.system'/);
    // a pickled nn.Module is refused too, with a hint to save the state_dict
    const module = bytes(0x80, 2, 'ctimm.models.hrnet\nHighResolutionNet\n', 0x29, 0x81, 0x2e);
    expect(() => decodePytorchCheckpoint(torchZip(module, []), 'model.pt')).toThrow(/'timm\.models\.hrnet\.HighResolutionNet'.*state_dict/);
  });

  it('reports truncated and malformed pickles as UnpicklingError with the position', () => {
    expect(() => load(bytes(0x80, 2, 'X', [9, 0, 0, 0], 'abc'))).toThrow(UnpicklingError);
    expect(() => load(bytes(0x80, 2, 'X', [9, 0, 0, 0], 'abc'))).toThrow(/test\.pkl: malformed pickle at byte 2: .*truncated/);
    expect(() => load(bytes(0x80, 2, 0x4e))).toThrow(/without a STOP/);
    expect(() => load(bytes(0x80, 2, 0xff, 0x2e))).toThrow(/unknown opcode 0xff/);
    expect(() => load(bytes(0x80, 2, 0x68, 5, 0x2e))).toThrow(/memo entry 5/);
    expect(() => load(bytes(0x80, 2, 0x52, 0x2e))).toThrow(/stack underflow/);
    // calling a value-only global
    expect(() => load(bytes(0x80, 2, 'ctorch\nTensor\n', 0x29, 0x52, 0x2e))).toThrow(/'torch\.Tensor' may not be called/);
  });
});
