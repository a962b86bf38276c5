import { readFile } from 'node:fs/promises';
import { CocoFormatError } from './coco-format-error.js';

/** Reads and parses a JSON file; any failure is a {@link CocoFormatError} that names the file. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CocoFormatError(file, [{ path: '', message: `cannot read file (${reason})` }], { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CocoFormatError(file, [{ path: '', message: `malformed JSON: ${(err as Error).message}` }], { cause: err });
  }
}
