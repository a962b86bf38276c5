import * as tf from '@tensorflow/tfjs';

/**
 * `model.apply(inputs, { training: true })` that frees each intermediate tensor once its last consumer
 * has run.
 *
 * Why: tfjs-layers' executor disposes intermediates as it goes only in inference; in training it keeps
 * every layer output until the surrounding `tidy` ends, so the forward pass peaks at the sum of all
 * layer outputs even where the backward pass needs only some of them (tfjs's autodiff keeps what a
 * gradient needs as its own references, so freeing the rest early is safe). Same layers, same order,
 * same numbers; nested models run the same way.
 */

interface SymbolicLike {
  id: number;
  sourceLayer: LayerLike;
}

interface NodeLike {
  inputTensors: SymbolicLike[];
  outputTensors: SymbolicLike[];
}

interface LayerLike {
  name: string;
  inboundNodes: NodeLike[];
}

interface Step {
  layer: tf.layers.Layer;
  inputs: SymbolicLike[];
  outputs: SymbolicLike[];
}

interface Plan {
  steps: Step[];
  /** How many steps read each symbolic tensor (a step reading it twice counts twice). */
  uses: Map<number, number>;
}

const plans = new WeakMap<tf.LayersModel, Plan>();

function nodeOf(s: SymbolicLike): NodeLike {
  const node = s.sourceLayer.inboundNodes.find((n) => n.outputTensors.some((o) => o.id === s.id));
  if (!node) throw new Error(`applyTraining: no node of layer '${s.sourceLayer.name}' produces tensor ${s.id}`);
  return node;
}

/** Topological order of the nodes between the model's inputs and outputs (depth first, post-order). */
function planOf(model: tf.LayersModel): Plan {
  const cached = plans.get(model);
  if (cached) return cached;
  const inputIds = new Set((model.inputs as unknown as SymbolicLike[]).map((s) => s.id));
  const steps: Step[] = [];
  const visited = new Set<NodeLike>();
  const visit = (s: SymbolicLike) => {
    if (inputIds.has(s.id)) return;
    const node = nodeOf(s);
    if (visited.has(node)) return;
    visited.add(node);
    // Iterative over inputs, recursive over depth: HRNet graphs are a few hundred nodes deep at most.
    for (const i of node.inputTensors) visit(i);
    steps.push({ layer: s.sourceLayer as unknown as tf.layers.Layer, inputs: node.inputTensors, outputs: node.outputTensors });
  };
  for (const o of model.outputs as unknown as SymbolicLike[]) visit(o);
  const uses = new Map<number, number>();
  for (const step of steps) for (const i of step.inputs) uses.set(i.id, (uses.get(i.id) ?? 0) + 1);
  const plan = { steps, uses };
  plans.set(model, plan);
  return plan;
}

/** Training-mode forward pass of `model` on concrete `inputs`, freeing intermediates early (see above). */
export function applyTraining(model: tf.LayersModel, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
  const xs = Array.isArray(inputs) ? inputs : [inputs];
  const symbolicInputs = model.inputs as unknown as SymbolicLike[];
  if (xs.length !== symbolicInputs.length) {
    throw new Error(`applyTraining: model '${model.name}' takes ${symbolicInputs.length} input(s), got ${xs.length}`);
  }
  const { steps, uses } = planOf(model);
  const values = new Map<number, tf.Tensor>();
  symbolicInputs.forEach((s, i) => values.set(s.id, xs[i]));
  // Live references per tensor object: a layer may return one of its inputs unchanged.
  const refs = new Map<tf.Tensor, number>();
  const protect = new Set<tf.Tensor>(xs);
  const remaining = new Map(uses);
  const outputIds = new Set((model.outputs as unknown as SymbolicLike[]).map((s) => s.id));
  for (const step of steps) {
    const ins = step.inputs.map((s) => values.get(s.id)!);
    const arg = ins.length === 1 ? ins[0] : ins;
    const out = step.layer instanceof tf.LayersModel ? applyTraining(step.layer, arg) : step.layer.apply(arg, { training: true });
    const outs = (Array.isArray(out) ? out : [out]) as tf.Tensor[];
    step.outputs.forEach((s, i) => {
      values.set(s.id, outs[i]);
      refs.set(outs[i], (refs.get(outs[i]) ?? 0) + 1);
    });
    for (const s of step.inputs) {
      const left = remaining.get(s.id)! - 1;
      remaining.set(s.id, left);
      if (left > 0 || outputIds.has(s.id)) continue;
      const t = values.get(s.id)!;
      values.delete(s.id);
      const r = (refs.get(t) ?? 0) - 1;
      refs.set(t, r);
      if (r <= 0 && !protect.has(t)) t.dispose();
    }
  }
  const result = (model.outputs as unknown as SymbolicLike[]).map((s) => values.get(s.id)!);
  return result.length === 1 ? result[0] : result;
}
