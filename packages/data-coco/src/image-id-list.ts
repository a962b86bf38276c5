import { stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * `{root}/{split}.txt` (e.g. `train2017.txt`, `val2017.txt` beside `annotations/`, as DeepSpark's HigherHRNet
 * listing has them) when it exists: the images of that split to use. Undefined when there is none.
 */
export async function imageIdListFile(root: string, split: string): Promise<string | undefined> {
  const file = path.join(root, `${split}.txt`);
  try {
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}
