/**
 * An image that could not be read or decoded; `path` names the file (or `<buffer>`). One class for every data
 * package (a caller's `instanceof` works whichever loader raised it); the message keeps the cause's first line.
 */
export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
  readonly path: string;
  constructor(path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    super(`cannot decode image '${path}': ${reason}`, { cause });
    this.path = path;
  }

  /** Rebuilds the error a worker thread reported as `message` (structured clone drops the class). */
  static fromMessage(path: string, message: string): ImageDecodeError {
    return new ImageDecodeError(path, new Error(message.replace(/^cannot decode image '.*?': /, '')));
  }
}
