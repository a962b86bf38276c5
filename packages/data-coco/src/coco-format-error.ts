import type { z } from 'zod';

/** One problem found in a COCO file, with a readable location such as `annotations[12] (id 4567).keypoints`. */
export interface CocoFormatIssue {
  path: string;
  message: string;
}

/** Thrown when a COCO annotation or results file cannot be read, parsed or validated. */
export class CocoFormatError extends Error {
  override readonly name = 'CocoFormatError';
  /** The file (or the label given for in-memory data) the problems were found in. */
  readonly source: string;
  readonly issues: readonly CocoFormatIssue[];

  constructor(source: string, issues: readonly CocoFormatIssue[], options?: { cause?: unknown }) {
    super(formatMessage(source, issues), options);
    this.source = source;
    this.issues = issues;
  }
}

const MAX_LISTED = 20;

function formatMessage(source: string, issues: readonly CocoFormatIssue[]): string {
  const lines = issues.slice(0, MAX_LISTED).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  if (issues.length > MAX_LISTED) lines.push(`... and ${issues.length - MAX_LISTED} more problems`);
  if (lines.length === 1) return `${source}: ${lines[0]}`;
  return `${source}: ${issues.length} problems\n  ${lines.join('\n  ')}`;
}

/** Which field identifies an element of a top-level array, per array name (`''` is a root array). */
const ID_FIELDS: Record<string, string> = {
  images: 'id',
  annotations: 'id',
  categories: 'id',
  results: 'image_id',
};

/**
 * Renders a zod-style path against the raw data: `['annotations', 12, 'keypoints']` becomes
 * `annotations[12] (id 4567).keypoints`. `rootName` names a root that is itself an array.
 */
export function formatIssuePath(path: readonly PropertyKey[], raw: unknown, rootName = ''): string {
  let out = '';
  let node: unknown = raw;
  let parentKey = rootName;
  let depth = 0;
  if (rootName) out = rootName;
  for (const key of path) {
    if (typeof key === 'number') {
      out += `[${key}]`;
      node = Array.isArray(node) ? node[key] : undefined;
      // Name the element of a top-level list by its id: that is what users search the file for.
      const idField = depth <= 1 ? ID_FIELDS[parentKey] : undefined;
      if (idField && node !== null && typeof node === 'object' && idField in node) {
        const id = (node as Record<string, unknown>)[idField];
        if (typeof id === 'number' || typeof id === 'string') out += ` (${idField} ${id})`;
      }
    } else {
      const name = String(key);
      out += out ? `.${name}` : name;
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[name] : undefined;
      parentKey = name;
    }
    depth++;
  }
  return out;
}

/** Converts zod issues to located issues. */
export function issuesFromZod(error: z.ZodError, raw: unknown, rootName = ''): CocoFormatIssue[] {
  return error.issues.map((issue) => ({
    path: formatIssuePath(issue.path, raw, rootName),
    message: issue.message,
  }));
}
