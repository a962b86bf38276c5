import type { Sym } from '../layers/functional.js';
import { basicBlock, type BlockArgs } from './basic-block.js';
import { bottleneck, BOTTLENECK_EXPANSION } from './bottleneck.js';

export type BlockType = 'BASIC' | 'BOTTLENECK';

export const BLOCKS: Record<BlockType, { build: (x: Sym, args: BlockArgs) => Sym; expansion: number }> = {
  BASIC: { build: basicBlock, expansion: 1 },
  BOTTLENECK: { build: bottleneck, expansion: BOTTLENECK_EXPANSION },
};

/** `num_blocks` blocks in sequence, named `${name}.0` … (timm `_make_layer` / a module branch). */
export function residualLayer(x: Sym, name: string, blockType: BlockType, planes: number, numBlocks: number): Sym {
  const { build } = BLOCKS[blockType];
  for (let b = 0; b < numBlocks; b++) x = build(x, { name: `${name}.${b}`, planes });
  return x;
}
