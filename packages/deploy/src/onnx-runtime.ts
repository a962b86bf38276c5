export type OnnxRuntime = typeof import('onnxruntime-node');

/**
 * onnxruntime-node, an optional dependency: when it is missing or its binary does not load, one line says so
 * and what to do instead of a module-resolution stack.
 */
export async function loadOnnxRuntime(): Promise<OnnxRuntime> {
  try {
    return await import('onnxruntime-node');
  } catch (e) {
    const why = String((e as Error)?.message ?? e).split('\n')[0];
    throw new Error(
      `runtime 'onnx' needs onnxruntime-node (an optional dependency of @hrnet/deploy), which did not load: ${why}. ` +
        `Install it with 'npm install onnxruntime-node', or use runtime 'tfjs'.`,
    );
  }
}
