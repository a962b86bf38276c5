import { describe, expect, it } from 'vitest';
import { checkPackageGraph, readWorkspace, referencesOf, REPO_ROOT, type Workspace, type WorkspacePackage } from '../src/package-graph.js';

const pkg = (name: string, dir: string, declared: string[], files: Record<string, string> = {}): WorkspacePackage => ({
  name,
  dir,
  declared,
  files: Object.entries(files).map(([path, text]) => ({ path: `${dir}/${path}`, text })),
});

/** A well-formed miniature of the repository; each test breaks one thing. */
function goodWorkspace(): Workspace {
  return {
    packages: [
      pkg('@hrnet/backend-native', 'packages/backend-native', [], { 'src/index.ts': `import * as tf from '@tensorflow/tfjs';` }),
      pkg('@hrnet/core', 'packages/core', ['@hrnet/backend-native'], {
        'src/init.ts': `const m = await import('@hrnet/backend-native');`,
        'test/a.test.ts': `import { x } from '../src/init.js';\nimport { n } from '../../../test-utils/native.js';\nimport v from '../../../vitest.shared.js';`,
      }),
      pkg('@hrnet/heads', 'packages/heads', ['@hrnet/core', '@hrnet/backend-native'], { 'src/index.ts': `export { conv } from '@hrnet/core';` }),
      pkg('@hrnet/train', 'packages/train', ['@hrnet/core'], { 'src/index.ts': `import { mixSeed } from '@hrnet/core';` }),
      pkg('@hrnet/cli', 'packages/cli', ['@hrnet/core', '@hrnet/heads'], { 'src/list.ts': `import { listModels } from '@hrnet/core';\nimport { createClassifier } from '@hrnet/heads';` }),
    ],
    shared: [
      { path: 'test-utils/native.ts', text: `export type M = typeof import('@hrnet/backend-native');` },
      { path: 'test-utils/parity-harness.ts', text: `import { initBackend } from '@hrnet/core';\nimport './native.js';` },
    ],
  };
}

describe('package graph check', () => {
  it('passes on the repository as it is', () => {
    expect(checkPackageGraph(readWorkspace(REPO_ROOT))).toEqual([]);
  });

  it('sees every workspace package, with its sources and tests', () => {
    const ws = readWorkspace(REPO_ROOT);
    const names = ws.packages.map((p) => p.name);
    for (const n of ['@hrnet/core', '@hrnet/heads', '@hrnet/cli', '@hrnet/train', '@hrnet/backend-native', '@hrnet/example-coco-pose']) expect(names).toContain(n);
    const core = ws.packages.find((p) => p.name === '@hrnet/core')!;
    expect(core.files.some((f) => f.path === 'packages/core/src/index.ts')).toBe(true);
    expect(core.files.some((f) => f.path.startsWith('packages/core/test/'))).toBe(true);
    expect(ws.shared.some((f) => f.path === 'test-utils/parity-harness.ts')).toBe(true);
  });

  it('passes on a well-formed miniature', () => {
    expect(checkPackageGraph(goodWorkspace())).toEqual([]);
  });

  it('fails on an upward dependency declared in package.json', () => {
    const ws = goodWorkspace();
    ws.packages.find((p) => p.name === '@hrnet/core')!.declared.push('@hrnet/heads');
    expect(checkPackageGraph(ws)).toEqual([
      'packages/core/package.json: @hrnet/core must not depend on @hrnet/heads (allowed: @hrnet/backend-native)',
    ]);
  });

  it('fails on an upward import, including one hidden behind a variable', () => {
    const ws = goodWorkspace();
    ws.packages.find((p) => p.name === '@hrnet/core')!.files.push({
      path: 'packages/core/src/cli.ts',
      text: `const HEADS = '@hrnet/heads';\nexport const load = () => import(HEADS);`,
    });
    ws.packages.find((p) => p.name === '@hrnet/train')!.files.push({ path: 'packages/train/test/t.test.ts', text: `import { createClassifier } from "@hrnet/heads";` });
    const problems = checkPackageGraph(ws);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^packages\/core\/src\/cli\.ts: @hrnet\/core must not reference @hrnet\/heads/);
    expect(problems[1]).toMatch(/^packages\/train\/test\/t\.test\.ts: @hrnet\/train must not reference @hrnet\/heads/);
  });

  it('fails when backend-native reaches core, directly or through a shared test helper', () => {
    const ws = goodWorkspace();
    ws.packages.find((p) => p.name === '@hrnet/backend-native')!.files.push({
      path: 'packages/backend-native/test/k.test.ts',
      text: `import { run } from '../../../test-utils/parity-harness.js';`,
    });
    expect(checkPackageGraph(ws)).toEqual([
      `packages/backend-native/test/k.test.ts: @hrnet/backend-native must not reference @hrnet/core: '../../../test-utils/parity-harness.js' (which imports @hrnet/core) (allowed: no @hrnet package)`,
    ]);
  });

  it('fails on a relative import into another package, an undeclared dependency and a package without a rule', () => {
    const ws = goodWorkspace();
    ws.packages.find((p) => p.name === '@hrnet/heads')!.files.push({ path: 'packages/heads/src/x.ts', text: `import { t } from '../../train/src/index.js';` });
    ws.packages.find((p) => p.name === '@hrnet/train')!.declared.splice(0);
    ws.packages.push(pkg('@hrnet/mystery', 'packages/mystery', []));
    expect(checkPackageGraph(ws)).toEqual([
      `packages/heads/src/x.ts: imports '../../train/src/index.js', a file outside packages/heads (import a package by name, or share it through test-utils/)`,
      `packages/train/src/index.ts: references @hrnet/core ('@hrnet/core') but packages/train/package.json does not declare it`,
      'packages/mystery/package.json: package @hrnet/mystery has no rule in tools/src/package-graph.ts ALLOWED; add where it sits in the graph',
    ]);
  });

  it('reads every form of reference', () => {
    const text = [
      `import a from '@hrnet/a';`,
      `export * from "@hrnet/b/sub";`,
      `const c = await import('@hrnet/c');`,
      `const d = require('@hrnet/d');`,
      `type E = typeof import('@hrnet/e');`,
      'vi.mock(`@hrnet/f`);',
      `// '@hrnet/in-a-comment' is text`,
      `/** see \`@hrnet/in-a-doc-comment\` */`,
      `const msg = 'install @hrnet/g';`,
    ].join('\n');
    const refs = referencesOf(text);
    for (const s of ['@hrnet/a', '@hrnet/b/sub', '@hrnet/c', '@hrnet/d', '@hrnet/e', '@hrnet/f']) expect(refs).toContain(s);
    for (const s of ['@hrnet/g', '@hrnet/in-a-comment', '@hrnet/in-a-doc-comment']) expect(refs).not.toContain(s);
  });
});
