import { describe, expect, it, vi } from 'vitest';
import { loadPredictor } from '../src/index.js';

// onnxruntime-node is an optional dependency: here it fails to load, as where it is not installed.
vi.mock('onnxruntime-node', () => {
  throw new Error("Cannot find package 'onnxruntime-node'");
});

describe('without onnxruntime-node', () => {
  it('the onnx runtime reports it in one line that says what to do', async () => {
    const { createClassifier } = await import('@hrnet/heads');
    const model = createClassifier('hrnet_w18_small', { numClasses: 2 });
    const err = await loadPredictor(model, { runtime: 'onnx' }).then(() => undefined, (e: Error) => e);
    model.dispose();
    expect(err?.message).toMatch(/^runtime 'onnx' needs onnxruntime-node \(an optional dependency of @hrnet\/deploy\), which did not load: .*Install it with 'npm install onnxruntime-node', or use runtime 'tfjs'\.$/);
    expect(err?.message).not.toContain('\n');
  });
});
