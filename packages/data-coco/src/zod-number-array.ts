import { z } from 'zod';

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/**
 * An array of finite numbers (integers with `integer: true`), checked in one loop and kept
 * as the same array instead of being copied element by element: annotation files hold
 * millions of coordinates. The first bad element is reported with its index.
 */
export function numberArray(options: { integer?: boolean; nonnegative?: boolean } = {}) {
  const { integer = false, nonnegative = false } = options;
  const what = `${nonnegative ? 'non-negative ' : ''}${integer ? 'integer' : 'finite number'}`;
  return z
    .custom<number[]>((v) => Array.isArray(v), { message: `expected an array of numbers` })
    .superRefine((arr, ctx) => {
      for (let i = 0; i < arr.length; i++) {
        const v: unknown = arr[i];
        if (
          typeof v !== 'number' ||
          !Number.isFinite(v) ||
          (integer && !Number.isInteger(v)) ||
          (nonnegative && v < 0)
        ) {
          ctx.addIssue({ code: 'custom', path: [i], message: `expected a ${what}, got ${describe(v)}` });
          return;
        }
      }
    });
}
