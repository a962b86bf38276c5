import * as tf from '@tensorflow/tfjs';
import { BatchNorm2d } from '../layers/batch-norm-2d.js';
import { Conv2d } from '../layers/conv2d.js';

/**
 * tfjs `model.json` + `weights.bin` directories with node's fs (`file://` needs tfjs-node, which we do not
 * require). Writes are atomic: everything goes to a temporary directory next to the target, which is then
 * renamed over it, so a failed save leaves the target as it was.
 */

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

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

/**
 * Saves `model` as `<dir>/model.json` + `<dir>/weights.bin` (plus `extraFiles`), atomically: written to a
 * temporary sibling directory, then renamed into place. An existing `dir` is replaced only if it is a model
 * directory (contains model.json) or empty; it is left untouched if anything fails.
 */
export async function saveModelToDir(model: tf.LayersModel, dir: string, opts: SaveModelToDirOptions = {}): Promise<tf.io.SaveResult> {
  const { fs, path } = await node();
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  const existing = await fs.stat(target).catch(() => undefined);
  if (existing) {
    if (!existing.isDirectory()) throw new Error(`cannot write model to ${target}: it exists and is not a directory`);
    const entries = await fs.readdir(target);
    if (entries.length > 0 && !entries.includes(MODEL_JSON)) {
      throw new Error(`refusing to replace ${target}: it is a non-empty directory without ${MODEL_JSON} (not a model directory)`);
    }
    if (entries.length > 0 && opts.overwrite === false) throw new Error(`${target} already exists (overwrite is off)`);
  }
  await fs.mkdir(parent, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(parent, `.${base}.tmp-`));
  try {
    const result = await model.save(dirSaveHandler(tmp));
    for (const [name, content] of Object.entries(opts.extraFiles ?? {})) {
      if (name !== path.basename(name) || name === MODEL_JSON || name === WEIGHTS_BIN) throw new Error(`invalid extra file name '${name}'`);
      await fs.writeFile(path.join(tmp, name), content);
    }
    if (existing) {
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

/** Loads a LayersModel saved by {@link saveModelToDir} (or any tfjs layers-model directory). */
export async function loadModelFromDir(dir: string, opts: { strict?: boolean } = {}): Promise<tf.LayersModel> {
  ensureCustomLayersRegistered();
  return tf.loadLayersModel(dirLoadHandler(dir), { strict: opts.strict ?? true });
}
