// The subset of cli-progress 3.x used by progress.ts (the package ships no types, and
// @types/cli-progress is not installed in this workspace).
declare module 'cli-progress' {
  interface BarOptions {
    format?: string;
    stream?: NodeJS.WritableStream;
    fps?: number;
    barsize?: number;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
    etaBuffer?: number;
    noTTYOutput?: boolean;
    barCompleteChar?: string;
    barIncompleteChar?: string;
  }
  class SingleBar {
    constructor(options: BarOptions);
    start(total: number, startValue: number, payload?: Record<string, unknown>): void;
    update(current: number, payload?: Record<string, unknown>): void;
    setTotal(total: number): void;
    stop(): void;
  }
  const cliProgress: { SingleBar: typeof SingleBar };
  export default cliProgress;
}
