import { fileURLToPath } from 'node:url';

/** Repo-level `fixtures/coco-eval/` (tests never read the shared folder directly). */
export const COCO_EVAL_FIXTURES = fileURLToPath(new URL('../../../fixtures/coco-eval/', import.meta.url));

export function fixture(...parts: string[]): string {
  return [COCO_EVAL_FIXTURES.replace(/\/$/, ''), ...parts].join('/');
}
