import * as tf from '@tensorflow/tfjs';

/** A named tensor, as tf's optimizer weights (`{ name, tensor }`). */
export type NamedTensor = { name: string; tensor: tf.Tensor };

/** Which variables get weight decay. */
export type DecayFilter = (variable: tf.Variable) => boolean;

/**
 * timm's `param_groups_weight_decay` / MindCV's `filter_bias_and_bn`: no decay for 1-D parameters
 * (biases, norm scales and shifts). The default of every optimizer here.
 */
export const decayRank2Plus: DecayFilter = (v) => v.rank >= 2;

/**
 * MindSpore's `nn.Optimizer` default `decay_filter` (`'beta' not in name and 'gamma' not in name`):
 * every parameter except norm scales/shifts is decayed — biases of convs and dense layers included.
 * The MindSpore HRNet_cls recipe passes `net.trainable_params()` without groups, so it uses this.
 */
export const decayMindSpore: DecayFilter = (v) => !/(^|[/_])(gamma|beta)(_\d+)?$/.test(v.name) && !/\/(gamma|beta)/.test(v.name);

/** Every trainable variable is decayed (torch's default when parameters are passed without groups). */
export const decayAll: DecayFilter = () => true;

/** Names accepted for `decayFilter` in configs. */
export type DecayFilterName = 'rank2' | 'mindspore' | 'all';

export function decayFilterByName(name: DecayFilterName): DecayFilter {
  return name === 'mindspore' ? decayMindSpore : name === 'all' ? decayAll : decayRank2Plus;
}

/**
 * The serialisable state of an optimizer: update count, per-variable slot tensors (keyed by slot name,
 * then variable name) and the hyper-parameters it was built with (for compatibility checks on resume).
 */
export interface OptimizerState {
  className: string;
  iterations: number;
  learningRate: number;
  config: Record<string, number | boolean | string>;
  /** slot name → variable name → tensor (owned by the caller of getState: do not dispose the optimizer's). */
  slots: Record<string, Record<string, tf.Tensor>>;
}

let nextId = 1;

export interface BaseOptimizerOptions {
  learningRate: number;
  /** Default 0. */
  weightDecay?: number;
  /** Which variables get weight decay. Default {@link decayRank2Plus}. */
  decayFilter?: DecayFilter;
}

/**
 * Shared machinery of the hrnet.ts optimizers: a learning rate that may change every step
 * ({@link setLearningRate}), per-variable slots keyed by variable name (not by position as tf's own
 * optimizers), `getState`/`setState` for checkpoints, and `getWeights`/`setWeights` for tf compatibility.
 * Subclasses implement {@link update} for one variable (called inside `tf.tidy`).
 */
export abstract class HrnetOptimizer extends tf.Optimizer {
  learningRate: number;
  readonly weightDecay: number;
  protected readonly decayFilter: DecayFilter;
  /** slot name → variable name → slot variable. */
  private readonly slots = new Map<string, Map<string, tf.Variable>>();
  /** Makes slot variable names unique when several optimizers train the same variables. */
  private readonly id = nextId++;

  constructor(opts: BaseOptimizerOptions) {
    super();
    const { learningRate, weightDecay = 0 } = opts;
    if (!(learningRate >= 0)) throw new Error(`${this.getClassName()}: learningRate must be >= 0, got ${learningRate}`);
    if (!(weightDecay >= 0)) throw new Error(`${this.getClassName()}: weightDecay must be >= 0, got ${weightDecay}`);
    this.learningRate = learningRate;
    this.weightDecay = weightDecay;
    this.decayFilter = opts.decayFilter ?? decayRank2Plus;
  }

  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  /** Whether `variable` is weight-decayed (weightDecay > 0 and the filter accepts it). */
  protected decays(variable: tf.Variable): boolean {
    return this.weightDecay !== 0 && this.decayFilter(variable);
  }

  /**
   * The slot `slot` of the variable named `name`, or undefined before the first update. Create it with
   * {@link setSlot}.
   */
  protected getSlot(slot: string, name: string): tf.Variable | undefined {
    return this.slots.get(slot)?.get(name);
  }

  /** Creates or overwrites a slot (the value is copied into a kept variable). */
  protected setSlot(slot: string, name: string, value: tf.Tensor): tf.Variable {
    let bySlot = this.slots.get(slot);
    if (!bySlot) this.slots.set(slot, (bySlot = new Map()));
    const existing = bySlot.get(name);
    if (existing) {
      existing.assign(value);
      return existing;
    }
    const v = tf.keep(tf.variable(value, false, `${name}/${slot}_${this.id}`));
    bySlot.set(name, v);
    return v;
  }

  /** The update of one variable with its gradient; runs inside `tf.tidy`. `step` is 1-based. */
  protected abstract update(variable: tf.Variable, grad: tf.Tensor, name: string, step: number): void;

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor][] = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    const step = this.iterations + 1;
    for (const [name, grad] of entries) {
      if (grad == null) continue;
      const variable = registered[name];
      if (!variable) throw new Error(`${this.getClassName()}: no variable named '${name}'`);
      tf.tidy(() => this.update(variable, grad, name, step));
    }
    this.incrementIterations();
  }

  /** Hyper-parameters (everything but the learning rate) that must match on resume. */
  protected abstract hyperParameters(): Record<string, number | boolean | string>;

  /** A copy of the state (clones of the slots; the caller disposes them). */
  getState(): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [slot, byName] of this.slots) {
      slots[slot] = {};
      for (const [name, v] of byName) slots[slot][name] = v.clone();
    }
    return { className: this.getClassName(), iterations: this.iterations, learningRate: this.learningRate, config: this.hyperParameters(), slots };
  }

  /**
   * Restores a state from {@link getState} (the tensors are copied). Throws if it was made by another
   * optimizer class or with other hyper-parameters (a learning rate difference is fine: schedules set it).
   */
  setState(state: OptimizerState): void {
    if (state.className !== this.getClassName()) {
      throw new Error(`optimizer state is from ${state.className}, cannot load it into ${this.getClassName()}`);
    }
    const mine = this.hyperParameters();
    const diffs = Object.keys({ ...mine, ...state.config }).filter((k) => mine[k] !== state.config[k]);
    if (diffs.length) {
      throw new Error(
        `${this.getClassName()} state has other hyper-parameters: ${diffs.map((k) => `${k} ${String(state.config[k])} (saved) vs ${String(mine[k])} (now)`).join(', ')}`,
      );
    }
    this.clearSlots();
    for (const [slot, byName] of Object.entries(state.slots)) {
      for (const [name, t] of Object.entries(byName)) this.setSlot(slot, name, t);
    }
    this.iterations_ = state.iterations;
    this.learningRate = state.learningRate;
  }

  private clearSlots(): void {
    for (const byName of this.slots.values()) tf.dispose([...byName.values()]);
    this.slots.clear();
  }

  /** tf-style weights: `iter`, then `<variable>/<slot>` for every slot. */
  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    for (const [slot, byName] of this.slots) for (const [name, v] of byName) out.push({ name: `${name}/${slot}`, tensor: v });
    return out;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.clearSlots();
    const known = this.slotNames();
    for (const { name, tensor } of rest) {
      const cut = name.lastIndexOf('/');
      const slot = name.slice(cut + 1);
      if (cut < 0 || !known.includes(slot)) throw new Error(`${this.getClassName()}.setWeights: unexpected weight '${name}'`);
      this.setSlot(slot, name.slice(0, cut), tensor);
    }
  }

  /** Slot names this optimizer uses (for setWeights validation). */
  protected abstract slotNames(): string[];

  override dispose(): void {
    this.clearSlots();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, ...this.hyperParameters() };
  }
}
