import { listModels } from '@hrnet/heads';

/** Every model name `hrnet` can build: @hrnet/heads' `listModels` over every family (one place asks). */
export function listModelNames(filter?: string): string[] {
  return listModels(filter);
}
