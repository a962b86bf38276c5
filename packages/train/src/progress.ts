import cliProgress from 'cli-progress';

/** The evaluation after an epoch. */
export interface EvalResult {
  /** Mean loss per sample. */
  loss: number;
  /** Mean of each metric per sample. */
  metrics: Record<string, number>;
  samples: number;
  timeMs: number;
}

/** One finished epoch. */
export interface EpochLog {
  /** 1-based. */
  epoch: number;
  epochs: number;
  steps: number;
  samples: number;
  epochTimeMs: number;
  perStepMs: number;
  avgLoss: number;
  /** Learning rate of the last step. */
  lr: number;
  imagesPerSec: number;
  /** Time the loop waited for batches (data not ready), summed over the epoch. */
  dataWaitMs?: number;
  /** Updates skipped for non-finite gradients (loss scaling). */
  skippedSteps?: number;
  /** Epoch means of the task's named loss terms (this process's batches), when trained from a `Task`. */
  avgTerms?: Record<string, number>;
  val?: EvalResult;
}

/** One optimizer step. */
export interface StepLog {
  epoch: number;
  epochs: number;
  /** 1-based within the epoch. */
  step: number;
  /** Steps in this epoch, when known. */
  totalSteps?: number;
  /** Optimizer updates so far in this fit. */
  globalStep: number;
  loss: number;
  /** Running mean loss of the epoch. */
  avgLoss: number;
  lr: number;
  imagesPerSec: number;
  /** Time spent waiting for this batch. */
  dataWaitMs?: number;
  /** Time of the update itself (forward, backward, optimizer). */
  stepMs?: number;
  /** Loss scale of this step, with loss scaling. */
  lossScale?: number;
  /** Whether the update was skipped (inf/NaN gradients). */
  skipped?: boolean;
  /** The task's named loss terms of this step (this process's batch), when trained from a `Task`. */
  terms?: Record<string, number>;
}

/** How progress is shown: cli-progress bar + epoch lines, epoch lines only, or nothing. `auto`: bar on a TTY. */
export type ProgressMode = 'auto' | 'bar' | 'plain' | 'none';

export interface ProgressReporter {
  startEpoch(epoch: number, epochs: number, totalSteps: number | undefined): void;
  step(log: StepLog): void;
  endEpoch(log: EpochLog): void;
  /** Releases the terminal (also after an error). */
  close(): void;
}

const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const fmtLr = (lr: number) => (lr !== 0 && Math.abs(lr) < 1e-3 ? lr.toExponential(3) : lr.toFixed(6));

/**
 * The one-line epoch summary: MindSpore's `TimeLossMonitor` format (times in ms, epoch padded to the width
 * of the total), then throughput, data wait and the evaluation:
 * `epoch: [ 1/10], epoch time: 3930.123, steps: 10, per step time: 393.012, avg loss: 0.58663, lr:[0.016414], img/s: 40.7, data wait: 0.1%, val loss: 0.5068, val top1: 0.9250`
 */
export function formatEpochLine(log: EpochLog): string {
  const width = String(log.epochs).length;
  const parts = [
    `epoch: [${String(log.epoch).padStart(width)}/${log.epochs}]`,
    `epoch time: ${fmt(log.epochTimeMs, 3)}`,
    `steps: ${log.steps}`,
    `per step time: ${fmt(log.perStepMs, 3)}`,
    `avg loss: ${fmt(log.avgLoss, 5)}`,
    `lr:[${fmtLr(log.lr)}]`,
    `img/s: ${fmt(log.imagesPerSec, 1)}`,
  ];
  if (log.dataWaitMs != null) parts.push(`data wait: ${fmt((100 * log.dataWaitMs) / log.epochTimeMs, 1)}%`);
  if (log.skippedSteps) parts.push(`skipped (overflow): ${log.skippedSteps}`);
  if (log.val) {
    parts.push(`val loss: ${fmt(log.val.loss, 4)}`);
    for (const [name, value] of Object.entries(log.val.metrics)) parts.push(`val ${name}: ${fmt(value, 4)}`);
  }
  return parts.join(', ');
}

/** Prints {@link formatEpochLine} once per epoch. */
export class PlainProgress implements ProgressReporter {
  constructor(private readonly write: (line: string) => void) {}
  startEpoch(): void {}
  step(): void {}
  endEpoch(log: EpochLog): void {
    this.write(formatEpochLine(log));
  }
  close(): void {}
}

/** A cli-progress bar per epoch (steps, loss, lr, img/s, ETA), then the epoch line. */
export class BarProgress implements ProgressReporter {
  private bar?: InstanceType<typeof cliProgress.SingleBar>;
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly write: (line: string) => void,
  ) {}

  startEpoch(epoch: number, epochs: number, totalSteps: number | undefined): void {
    this.bar = new cliProgress.SingleBar({
      format: `epoch ${epoch}/${epochs} |{bar}| {value}/{total} steps | loss {loss} | lr {lr} | {ips} img/s | ETA {eta_formatted}`,
      stream: this.stream,
      barsize: 24,
      hideCursor: false,
      clearOnComplete: true,
      etaBuffer: 20,
    });
    this.bar.start(totalSteps ?? 0, 0, { loss: '-', lr: '-', ips: '-' });
  }

  step(log: StepLog): void {
    if (log.totalSteps == null) this.bar?.setTotal(log.step);
    this.bar?.update(log.step, { loss: fmt(log.avgLoss, 4), lr: fmtLr(log.lr), ips: fmt(log.imagesPerSec, 1) });
  }

  endEpoch(log: EpochLog): void {
    this.bar?.stop();
    this.bar = undefined;
    this.write(formatEpochLine(log));
  }

  close(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

const silent: ProgressReporter = { startEpoch() {}, step() {}, endEpoch() {}, close() {} };

/** Picks the reporter; `auto` shows the bar only when `stream` is a TTY. */
export function createProgress(mode: ProgressMode, stream: NodeJS.WritableStream & { isTTY?: boolean }): ProgressReporter {
  const write = (line: string) => void stream.write(`${line}\n`);
  const resolved = mode === 'auto' ? (stream.isTTY ? 'bar' : 'plain') : mode;
  if (resolved === 'bar') return new BarProgress(stream, write);
  if (resolved === 'plain') return new PlainProgress(write);
  return silent;
}
