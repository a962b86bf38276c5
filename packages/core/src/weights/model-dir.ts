import * as tf from '@tensorflow/tfjs';
import { BatchNorm2d } from '../layers/batch-norm-2d.js';
import { Conv2d } from '../layers/conv2d.js';
import { isProcessAlive } from '../utils/process-alive.js';

/**
 * tfjs `model.json` + `weights.bin` directories with node's fs (`file://` needs tfjs-node, which we do not
 * require). Writes are atomic: everything goes to a temporary directory next to the target, which is then
 * renamed over it, so a failed save leaves the target as it was. The directory lists the files it was
 * written with in {@link MODEL_DIR_MANIFEST}: a later save replaces (and so deletes) only those.
 */

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
/** The files a save wrote (JSON `{ "files": [...] }`); anything else in the directory belongs to the user. */
export const MODEL_DIR_MANIFEST = '.hrnet-model-dir.json';

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');

async function node(): Promise<{ fs: Fs; path: Path }> {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  return { fs, path };
}

/** The custom layers must be registered before deserialising; referencing them keeps the import alive. */
export function ensureCustomLayersRegistered(): void {
  for (const cls of [Conv2d, BatchNorm2d]) {
    if (!tf.serialization.SerializationMap.getMap().classNameMap[cls.className]) tf.serialization.registerClass(cls, 'hrnet');
  }
}

export interface SaveModelToDirOptions {
  /** More files to write into the directory (name → content), e.g. a safetensors copy. */
  extraFiles?: Record<string, Uint8Array | string>;
  /** Replace an existing model directory (one with model.json). Default true. */
  overwrite?: boolean;
  /**
   * The directory holds files a save did not write: replace only the files of this save (each atomically)
   * and keep the others. Default false: refuse.
   */
  force?: boolean;
}

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** An IOHandler writing into an existing directory (no atomicity; see {@link saveModelToDir}). */
export function dirSaveHandler(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      const { fs, path } = await node();
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('saving binary (GraphDef) model topologies is not supported; save a LayersModel');
      }
      const weights = joinWeightData(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? '@hrnet/core',
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      await fs.writeFile(path.join(dir, WEIGHTS_BIN), weights);
      await fs.writeFile(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}

/** An IOHandler reading `<dir>/model.json` and the weight files its manifest lists. */
export function dirLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      const { fs, path } = await node();
      const jsonPath = path.join(dir, MODEL_JSON);
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(`cannot read ${jsonPath}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const file = path.join(dir, p);
            let buf: Buffer;
            try {
              buf = await fs.readFile(file);
            } catch (err) {
              throw new Error(`cannot read weights file ${file}: ${(err as Error).message}`);
            }
            buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

/** Files a previous save listed in the manifest, and those this save writes (it replaces them anyway). */
async function ownedFiles(fs: Fs, path: Path, dir: string, writes: string[]): Promise<Set<string>> {
  const owned = new Set([...writes, MODEL_DIR_MANIFEST]);
  try {
    const files = (JSON.parse(await fs.readFile(path.join(dir, MODEL_DIR_MANIFEST), 'utf8')) as { files?: unknown }).files;
    if (Array.isArray(files)) for (const f of files) if (typeof f === 'string' && f === path.basename(f)) owned.add(f);
  } catch {
    // no (readable) manifest (a directory of an older version, or not ours): only what this save writes
  }
  return owned;
}

/**
 * Temp directories of saves into `target` whose process is gone (killed mid-save) are removed; a `.old` one
 * is the previous model directory itself when the kill came between the two renames: it is put back.
 */
async function cleanStaleTemps(fs: Fs, path: Path, target: string): Promise<void> {
  const prefix = `.${path.basename(target)}.tmp-`;
  const names = await fs.readdir(path.dirname(target)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isInteger(pid) || isProcessAlive(pid)) continue;
    const stale = path.join(path.dirname(target), name);
    if (name.endsWith('.old') && !(await fs.stat(target).catch(() => undefined))) await fs.rename(stale, target);
    else await fs.rm(stale, { recursive: true, force: true });
  }
}

/**
 * Saves `model` as `<dir>/model.json` + `<dir>/weights.bin` (plus `extraFiles` and the manifest), atomically:
 * written to a temporary sibling directory, then renamed into place. An existing `dir` is replaced only when it
 * holds nothing but files of an earlier save (or is empty); one with other files is refused, or with `force`
 * only this save's files are replaced in it, each atomically, and the others kept. Nothing changes if anything
 * fails. Temp directories left by killed saves are removed first.
 */
export async function saveModelToDir(model: tf.LayersModel, dir: string, opts: SaveModelToDirOptions = {}): Promise<tf.io.SaveResult> {
  const { fs, path } = await node();
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  const extra = Object.entries(opts.extraFiles ?? {});
  for (const [name] of extra) {
    if (name !== path.basename(name) || name === MODEL_JSON || name === WEIGHTS_BIN || name === MODEL_DIR_MANIFEST) throw new Error(`invalid extra file name '${name}'`);
  }
  const files = [MODEL_JSON, WEIGHTS_BIN, ...extra.map(([name]) => name)];
  await cleanStaleTemps(fs, path, target);
  const existing = await fs.stat(target).catch(() => undefined);
  let inPlace = false;
  let manifest = files;
  if (existing) {
    if (!existing.isDirectory()) throw new Error(`cannot write model to ${target}: it exists and is not a directory`);
    const entries = await fs.readdir(target);
    if (entries.length > 0 && opts.overwrite === false) throw new Error(`${target} already exists (overwrite is off)`);
    const owned = await ownedFiles(fs, path, target, files);
    const foreign = entries.filter((e) => !owned.has(e));
    if (foreign.length > 0) {
      if (!opts.force) {
        throw new Error(
          `refusing to write the model into ${target}: it holds ${foreign.length} file(s) this tool did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}); ` +
            `use a new or empty directory, or --force to replace only ${files.join(', ')} and keep the rest`,
        );
      }
      inPlace = true;
      // Files of earlier saves that this one does not rewrite stay, and stay ours.
      manifest = [...new Set([...files, ...entries.filter((e) => owned.has(e) && e !== MODEL_DIR_MANIFEST)])];
    }
  }
  await fs.mkdir(parent, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(parent, `.${base}.tmp-${process.pid}-`));
  try {
    const result = await model.save(dirSaveHandler(tmp));
    for (const [name, content] of extra) await fs.writeFile(path.join(tmp, name), content);
    await fs.writeFile(path.join(tmp, MODEL_DIR_MANIFEST), `${JSON.stringify({ files: manifest })}\n`);
    if (inPlace) {
      // Each file renamed over its old version; the manifest last, so it never names a file not yet there.
      for (const name of [...files, MODEL_DIR_MANIFEST]) await fs.rename(path.join(tmp, name), path.join(target, name));
      await fs.rm(tmp, { recursive: true, force: true });
    } else if (existing) {
      const old = `${tmp}.old`;
      await fs.rename(target, old);
      try {
        await fs.rename(tmp, target);
      } catch (err) {
        await fs.rename(old, target);
        throw err;
      }
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(tmp, target);
    }
    return result;
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** An `http(s):` URL, or any location in a browser page (relative ones resolve against the page). */
function isUrl(dir: string): boolean {
  return /^https?:\/\//i.test(dir) || typeof document !== 'undefined';
}

/**
 * Loads a LayersModel saved by {@link saveModelToDir} (or any tfjs layers-model directory): a directory path,
 * or the directory's URL (`<url>/model.json` and the weight files it lists are fetched; in a browser also a
 * URL relative to the page).
 */
export async function loadModelFromDir(dir: string, opts: { strict?: boolean } = {}): Promise<tf.LayersModel> {
  ensureCustomLayersRegistered();
  const source = isUrl(dir) ? `${dir.replace(/\/+$/, '')}/${MODEL_JSON}` : dirLoadHandler(dir);
  return tf.loadLayersModel(source, { strict: opts.strict ?? true });
}
