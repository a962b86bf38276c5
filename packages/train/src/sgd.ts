import * as tf from '@tensorflow/tfjs';

/** A named tensor, as tf's optimizer weights (`{ name, tensor }`). */
type NamedTensor = { name: string; tensor: tf.Tensor };

let nextId = 1;

export interface SGDOptions {
  learningRate: number;
  /** Default 0 (plain SGD). */
  momentum?: number;
  /** Default 0. */
  dampening?: number;
  /** Nesterov momentum (timm's `sgd`/`nesterov`, torch `nesterov=True`). Default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (coupled, as torch). Default 0. */
  weightDecay?: number;
  /**
   * Which variables get weight decay. Default: rank >= 2, i.e. not biases nor norm scales/shifts —
   * timm's `param_groups_weight_decay` (`filter_bias_and_bn=True`).
   */
  decayFilter?: (variable: tf.Variable) => boolean;
}

/**
 * Stochastic gradient descent with momentum, exactly `torch.optim.SGD` (which timm uses for `sgd`,
 * `nesterov` and `momentum`):
 *
 *     g = grad + weightDecay * p                     (decayed variables only)
 *     buf = g                                        (first step)
 *     buf = momentum * buf + (1 - dampening) * g     (later steps)
 *     g = nesterov ? g + momentum * buf : buf
 *     p = p - lr * g
 *
 * Unlike `tf.train.momentum`, the learning rate can change every step ({@link setLearningRate}),
 * and momentum buffers are keyed by variable name, not by position.
 */
export class SGD extends tf.Optimizer {
  static get className(): string {
    return 'HrnetSGD';
  }

  learningRate: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private readonly decayFilter: (variable: tf.Variable) => boolean;
  private readonly buffers = new Map<string, tf.Variable>();
  /** Makes buffer variable names unique when several optimizers train the same variables. */
  private readonly id = nextId++;

  constructor(opts: SGDOptions) {
    super();
    const { learningRate, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = opts;
    if (!(learningRate >= 0)) throw new Error(`SGD: learningRate must be >= 0, got ${learningRate}`);
    if (!(momentum >= 0)) throw new Error(`SGD: momentum must be >= 0, got ${momentum}`);
    if (!(weightDecay >= 0)) throw new Error(`SGD: weightDecay must be >= 0, got ${weightDecay}`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) throw new Error('SGD: Nesterov momentum requires momentum > 0 and zero dampening');
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.dampening = dampening;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
    this.decayFilter = opts.decayFilter ?? ((v) => v.rank >= 2);
  }

  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor][] = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    for (const [name, grad] of entries) {
      if (grad == null) continue;
      const variable = registered[name];
      if (!variable) throw new Error(`SGD: no variable named '${name}'`);
      tf.tidy(() => {
        let g = grad;
        if (this.weightDecay !== 0 && this.decayFilter(variable)) g = tf.add(g, tf.mul(variable, this.weightDecay));
        if (this.momentum !== 0) {
          let buf = this.buffers.get(name);
          if (!buf) {
            buf = tf.keep(tf.variable(g, false, `${name}/momentum_${this.id}`));
            this.buffers.set(name, buf);
          } else {
            buf.assign(tf.add(tf.mul(buf, this.momentum), this.dampening ? tf.mul(g, 1 - this.dampening) : g));
          }
          g = this.nesterov ? tf.add(g, tf.mul(buf, this.momentum)) : buf;
        }
        variable.assign(tf.sub(variable, tf.mul(g, this.learningRate)));
      });
    }
    this.incrementIterations();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    return [await this.saveIterations(), ...[...this.buffers].map(([name, v]) => ({ name: `${name}/momentum`, tensor: v }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    tf.dispose([...this.buffers.values()]);
    this.buffers.clear();
    for (const { name, tensor } of rest) {
      if (!name.endsWith('/momentum')) throw new Error(`SGD.setWeights: unexpected weight '${name}'`);
      const varName = name.slice(0, -'/momentum'.length);
      this.buffers.set(varName, tf.variable(tensor, false, `${varName}/momentum_${this.id}`));
    }
  }

  override dispose(): void {
    tf.dispose([...this.buffers.values()]);
    this.buffers.clear();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      momentum: this.momentum,
      dampening: this.dampening,
      nesterov: this.nesterov,
      weightDecay: this.weightDecay,
    };
  }
}
