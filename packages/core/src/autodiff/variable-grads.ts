import * as tf from '@tensorflow/tfjs';

/**
 * `tf.variableGrads` with the backward pass's memory released as it goes.
 *
 * Why: tfjs's backprop (tfjs-core 4.x `engine.gradients`) keeps the gradient of every intermediate
 * tensor and every tensor saved for the backward pass until the whole backward pass has finished. Its
 * peak is therefore "all saved activations + one gradient per intermediate", about twice the activation
 * memory, which is what limits training batches inside the wasm backend's 4 GB heap. Walking the same
 * tape in the same order, a node's output gradients and its saved tensors can be freed as soon as the
 * node's input gradients exist (every consumer of a tensor comes later on the tape, so its gradient is
 * complete when its producer is reached). The numbers are identical to tfjs's: same gradient functions,
 * same order, same accumulation.
 *
 * This reads tfjs's engine internals (the tape), which are stable across tfjs 4.x; where they are not
 * there (another major version) or during higher-order differentiation it calls `tf.variableGrads`.
 */

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { gradientDepth: number; activeTape: TapeNode[] | null };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

function engineInternals(): EngineInternals | undefined {
  const e = tf.engine() as unknown as Partial<EngineInternals>;
  const ok =
    typeof e.startTape === 'function' &&
    typeof e.endTape === 'function' &&
    typeof e.scopedRun === 'function' &&
    e.state != null &&
    typeof e.state.gradientDepth === 'number';
  return ok ? (e as EngineInternals) : undefined;
}

/** The nodes on a path from `xs` to `y`, inputs pruned to those that depend on `xs` (as tfjs filters). */
function filterTape(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      nodesFromX.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => toY.has(o.id))) {
      nodesToY.add(node.id);
      for (const t of Object.values(node.inputs)) toY.add(t.id);
    }
  }
  return tape
    .filter((n) => nodesFromX.has(n.id) && nodesToY.has(n.id))
    .map((n) => ({ ...n, inputs: Object.fromEntries(Object.entries(n.inputs).filter(([, t]) => fromX.has(t.id))) }));
}

function disposeSaved(node: TapeNode): void {
  for (const t of node.saved ?? []) t.dispose();
  node.saved = [];
}

/**
 * Gradients of the scalar `f()` with respect to `xs`, releasing memory during the backward pass.
 * Returns `undefined` where the engine internals are unavailable (the caller falls back to tfjs).
 */
function lowMemoryGradients(f: () => tf.Scalar, xs: tf.Tensor[]): { value: tf.Scalar; grads: Array<tf.Tensor | undefined> } | undefined {
  const engine = engineInternals();
  if (!engine || engine.state.gradientDepth !== 0) return undefined;
  try {
    return tapedGradients(engine, f, xs);
  } catch (e) {
    // A throw mid-pass (e.g. the backend out of memory, which a caller may retry with a smaller batch) must
    // not leave the tape's saved activations allocated, or the tape active for the next pass.
    for (const node of engine.state.activeTape ?? []) disposeSaved(node);
    engine.state.activeTape = null;
    throw e;
  }
}

function tapedGradients(engine: EngineInternals, f: () => tf.Scalar, xs: tf.Tensor[]): { value: tf.Scalar; grads: Array<tf.Tensor | undefined> } {
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  if (!(y instanceof tf.Tensor)) throw new Error('variableGrads: f() must return a tensor');
  const tape = engine.state.activeTape ?? [];
  const filtered = filterTape(tape, xs, y);
  const keepIds = new Set(xs.map((x) => x.id));
  return engine.tidy('backward', () => {
    const acc = new Map<number, tf.Tensor>([[y.id, tf.onesLike(y)]]);
    for (let i = filtered.length - 1; i >= 0; i--) {
      const node = filtered[i];
      const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
      if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const inputGradients = node.gradient(dys);
      for (const [inputName, x] of Object.entries(node.inputs)) {
        const gradFn = inputGradients[inputName];
        if (gradFn == null) {
          throw new Error(`Cannot backprop through input ${inputName}. Available gradients found: ${Object.keys(inputGradients)}.`);
        }
        const dx = tf.tidy(gradFn);
        if (dx.dtype !== 'float32') {
          throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${inputName} must have 'float32' dtype, but has '${dx.dtype}'`);
        }
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${inputName}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
        }
        const cur = acc.get(x.id);
        if (cur == null) acc.set(x.id, dx);
        else {
          acc.set(x.id, tf.add(cur, dx));
          cur.dispose();
          dx.dispose();
        }
      }
      // This node was the last user of its outputs' gradients and of what it saved.
      for (const o of node.outputs) {
        if (keepIds.has(o.id)) continue;
        acc.get(o.id)?.dispose();
        acc.delete(o.id);
      }
      disposeSaved(node);
    }
    const grads = xs.map((x) => acc.get(x.id));
    for (const node of tape) disposeSaved(node);
    engine.state.activeTape = null;
    return { value: y, grads: grads as tf.Tensor[] };
  }) as { value: tf.Scalar; grads: Array<tf.Tensor | undefined> };
}

/**
 * Drop-in for `tf.variableGrads(f, varList)`: the value of the scalar `f()` and its gradients with
 * respect to the trainable variables in `varList` (default: every trainable variable), keyed by
 * variable name; non-trainable variables listed explicitly map to `null`, variables `f` does not
 * depend on are left out. Same numbers as tfjs, lower peak memory (see the file comment).
 */
export function variableGrads(f: () => tf.Scalar, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const all = varList ?? Object.values(tf.engine().registeredVariables);
  const trainable = all.filter((v) => v.trainable);
  if (trainable.length === 0) throw new Error('variableGrads: varList has no trainable variables');
  const res = lowMemoryGradients(f, trainable);
  if (!res) return tf.variableGrads(f, varList);
  const { value, grads } = res;
  if (value.rank !== 0) {
    tf.dispose([value, ...grads.filter((g): g is tf.Tensor => g != null)]);
    throw new Error(`variableGrads: f() must return a scalar, got a tensor of shape [${value.shape}]`);
  }
  if (!grads.some((g) => g != null)) {
    value.dispose();
    throw new Error('variableGrads: f() does not depend on any of the trainable variables');
  }
  const named: tf.NamedTensorMap = {};
  trainable.forEach((v, i) => {
    if (grads[i] != null) named[v.name] = grads[i]!;
  });
  if (varList) for (const v of varList) if (!v.trainable) (named as Record<string, tf.Tensor | null>)[v.name] = null;
  return { value, grads: named };
}
