/**
 * The rule "packages depend downward only", checked from what the repository declares (package.json
 * dependencies of every kind) and from what its code references (import / export-from / import() /
 * require, and any string literal naming a package, which catches an import hidden behind a variable).
 *
 * Pure: {@link checkPackageGraph} takes the workspace as data, so a test can feed it a violating graph;
 * {@link readWorkspace} reads the real one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** What each workspace package may depend on (other than itself). A package with no rule is a violation. */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  // the oneDNN kernels: tfjs alone
  '@hrnet/backend-native': [],
  // the OpenMPI addon: nothing (train loads it by name, an optional dependency)
  '@hrnet/collective-mpi': [],
  // models, weight I/O, backends; loads backend-native (an optional dependency) by name
  '@hrnet/core': ['@hrnet/backend-native'],
  // model families; backend-native only for its tests
  '@hrnet/heads': ['@hrnet/core', '@hrnet/backend-native'],
  // data and training are task-agnostic: core at most, never heads
  '@hrnet/data-coco': ['@hrnet/core'],
  '@hrnet/data-imagenet': ['@hrnet/core'],
  '@hrnet/data-cityscapes': ['@hrnet/core'],
  '@hrnet/train': ['@hrnet/core', '@hrnet/collective-mpi'],
  // applications of the models
  '@hrnet/cli': ['@hrnet/core', '@hrnet/heads', '@hrnet/train', '@hrnet/deploy'],
  // deploy: backend-native only for its bench (tfjs native vs onnxruntime)
  '@hrnet/deploy': ['@hrnet/core', '@hrnet/heads', '@hrnet/backend-native'],
  // the examples are the top: any library package, never another example
  '@hrnet/example-coco-pose': ['@hrnet/core', '@hrnet/heads', '@hrnet/data-coco', '@hrnet/train', '@hrnet/deploy', '@hrnet/backend-native'],
  '@hrnet/example-coco-topdown': ['@hrnet/core', '@hrnet/heads', '@hrnet/data-coco', '@hrnet/train'],
  '@hrnet/example-imagenet-cls': ['@hrnet/core', '@hrnet/heads', '@hrnet/data-imagenet', '@hrnet/train', '@hrnet/deploy', '@hrnet/backend-native'],
  '@hrnet/example-cityscapes-seg': ['@hrnet/core', '@hrnet/heads', '@hrnet/data-cityscapes', '@hrnet/train'],
  '@hrnet/example-browser-demo': ['@hrnet/core', '@hrnet/heads'],
  // these checks: the release check packs and installs every publishable package (devDependencies, so turbo builds them first)
  '@hrnet/tools': ['@hrnet/backend-native', '@hrnet/cli', '@hrnet/core', '@hrnet/data-cityscapes', '@hrnet/data-coco', '@hrnet/data-imagenet', '@hrnet/deploy', '@hrnet/heads', '@hrnet/train'],
};

const SELF = '@hrnet/tools';

/** Folders outside a package that its files may import by relative path: the shared test helpers. */
export const SHARED_TEST_DIR = 'test-utils';

export interface SourceFile {
  /** Repository-relative path, '/'-separated. */
  path: string;
  text: string;
}

export interface WorkspacePackage {
  name: string;
  /** Repository-relative folder, e.g. `packages/core`. */
  dir: string;
  /** Every `@hrnet/*` name in dependencies, devDependencies, peerDependencies, optionalDependencies. */
  declared: string[];
  files: SourceFile[];
}

export interface Workspace {
  packages: WorkspacePackage[];
  /** The files of test-utils/ (shared test helpers), whose references count for every file importing them. */
  shared: SourceFile[];
}

/** The package a specifier names: `@hrnet/core/testing` → `@hrnet/core`; null for anything else. */
function packageOf(spec: string): string | null {
  const m = /^(@hrnet\/[^/]+)/.exec(spec);
  return m ? m[1] : null;
}

const PACKAGE_LITERAL = /^@hrnet\/[a-z0-9._-]+(\/[\w./-]*)?$/;

/** Module specifiers a file references: imports of every form plus string literals that are exactly a package name (comments are text). */
export function referencesOf(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  const specs = new Set(info.importedFiles.map((f) => f.fileName));
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  for (let t = scanner.scan(); t !== ts.SyntaxKind.EndOfFileToken; t = scanner.scan()) {
    const literal = t === ts.SyntaxKind.StringLiteral || t === ts.SyntaxKind.NoSubstitutionTemplateLiteral;
    if (literal && PACKAGE_LITERAL.test(scanner.getTokenValue())) specs.add(scanner.getTokenValue());
  }
  return [...specs];
}

const posix = (p: string) => p.split(sep).join('/');

/** A relative specifier resolved against the importing file, repository-relative, without extension games. */
function resolveRelative(fromPath: string, spec: string): string {
  return posix(join(dirname(fromPath), spec));
}

/** `@hrnet/*` packages a shared test helper reaches, following its relative imports inside test-utils/. */
function sharedReach(path: string, shared: Map<string, SourceFile>, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  const key = path.replace(/\.(js|ts)$/, '');
  if (seen.has(key)) return out;
  seen.add(key);
  const file = shared.get(key);
  if (!file) return out;
  for (const spec of referencesOf(file.text)) {
    const pkg = packageOf(spec);
    if (pkg) out.add(pkg);
    else if (spec.startsWith('.')) for (const p of sharedReach(resolveRelative(file.path, spec), shared, seen)) out.add(p);
  }
  return out;
}

/** One line per violation, naming the package, the file or manifest field, and the rule broken. Empty: the graph is downward only. */
export function checkPackageGraph(ws: Workspace): string[] {
  const problems: string[] = [];
  const shared = new Map(ws.shared.map((f) => [f.path.replace(/\.(js|ts)$/, ''), f]));
  const names = new Set(ws.packages.map((p) => p.name));
  for (const pkg of ws.packages) {
    const allowed = ALLOWED[pkg.name];
    // this checker names every package as data, so only its manifest is checked
    if (!allowed) {
      problems.push(`${pkg.dir}/package.json: package ${pkg.name} has no rule in tools/src/package-graph.ts ALLOWED; add where it sits in the graph`);
      continue;
    }
    const ok = (dep: string) => dep === pkg.name || allowed.includes(dep);
    for (const dep of pkg.declared) {
      if (!ok(dep)) problems.push(`${pkg.dir}/package.json: ${pkg.name} must not depend on ${dep} (allowed: ${allowed.join(', ') || 'no @hrnet package'})`);
    }
    for (const file of pkg.name === SELF ? [] : pkg.files) {
      const reached = new Map<string, string>(); // package -> how
      for (const spec of referencesOf(file.text)) {
        const target = packageOf(spec);
        if (target) {
          reached.set(target, `'${spec}'`);
          continue;
        }
        if (!spec.startsWith('.')) continue;
        const to = resolveRelative(file.path, spec);
        if (to === pkg.dir || to.startsWith(`${pkg.dir}/`)) continue;
        if (to.startsWith(`${SHARED_TEST_DIR}/`)) {
          for (const p of sharedReach(to, shared)) reached.set(p, `'${spec}' (which imports ${p})`);
        } else if (to.includes('/') && !to.startsWith('fixtures/')) {
          // repository-root files (vitest.shared.ts) are shared config, not packages
          problems.push(`${file.path}: imports '${spec}', a file outside ${pkg.dir} (import a package by name, or share it through ${SHARED_TEST_DIR}/)`);
        }
      }
      for (const [target, how] of reached) {
        if (!ok(target)) problems.push(`${file.path}: ${pkg.name} must not reference ${target}: ${how} (allowed: ${allowed.join(', ') || 'no @hrnet package'})`);
        else if (target !== pkg.name && names.has(target) && !pkg.declared.includes(target)) {
          problems.push(`${file.path}: references ${target} (${how}) but ${pkg.dir}/package.json does not declare it`);
        }
      }
    }
  }
  return problems;
}

const SOURCE = /\.(c|m)?(ts|js)x?$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'output', '.turbo']);

function listSources(root: string, dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (abs: string) => {
    for (const entry of readdirSync(abs)) {
      if (entry.startsWith('.') || SKIP_DIRS.has(entry)) continue;
      const p = join(abs, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (SOURCE.test(entry) && !entry.endsWith('.d.ts')) out.push({ path: posix(relative(root, p)), text: readFileSync(p, 'utf8') });
    }
  };
  if (existsSync(join(root, dir))) walk(join(root, dir));
  return out;
}

/** The workspace packages of the repository at `root` (from the root package.json's `workspaces`). */
export function readWorkspace(root: string): Workspace {
  const rootJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const dirs = rootJson.workspaces.flatMap((w) => {
    if (!w.endsWith('/*')) return [w];
    const parent = w.slice(0, -2);
    return readdirSync(join(root, parent))
      .map((d) => `${parent}/${d}`)
      .filter((d) => existsSync(join(root, d, 'package.json')));
  });
  const packages = dirs.map((dir): WorkspacePackage => {
    const json = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string>;
    const declared = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']
      .flatMap((field) => Object.keys((json[field] as Record<string, string> | undefined) ?? {}))
      .filter((d) => d.startsWith('@hrnet/'));
    return { name: json.name as string, dir, declared: [...new Set(declared)], files: listSources(root, dir) };
  });
  return { packages, shared: listSources(root, SHARED_TEST_DIR) };
}

/** The repository root (two levels above this file: tools/src/). */
export const REPO_ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');
