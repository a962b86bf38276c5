import * as tf from '@tensorflow/tfjs';
import { Conv2DF16Program, F16_SHADER_MARKER } from './conv2d-f16-program.js';

/**
 * f16 convolutions on the `webgpu` backend (`--amp`): Conv2D and FusedConv2D (tfjs-layers' and our Conv2d
 * layer's kernel) and their gradients Conv2DBackpropInput / Conv2DBackpropFilter re-registered to run
 * {@link Conv2DF16Program} — f16 tiles, f32 accumulation — where the device has `shader-f16`; what ours do
 * not cover (other data formats, activations than none/ReLU, dtypes) goes to tfjs's. Off by default; restorable.
 */

const KERNELS = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] as const;
const MARK = '__hrnetF16Conv';

interface GpuDevice {
  features: ReadonlySet<string>;
  limits: { maxComputeWorkgroupsPerDimension: number };
  createShaderModule(descriptor: { code: string; label?: string }): unknown;
}
interface WebgpuBackendLike {
  device: GpuDevice;
  runWebGPUProgram(program: Conv2DF16Program, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms: Conv2DF16Program['uniformData']): tf.TensorInfo;
}
interface KernelArgs {
  inputs: Record<string, tf.TensorInfo | undefined>;
  backend: WebgpuBackendLike;
  attrs: Record<string, unknown>;
}
type MarkedConfig = tf.KernelConfig & { [MARK]?: tf.KernelConfig };

const ready = new WeakSet<GpuDevice>();

/**
 * tfjs writes a shader's first lines itself, and WGSL wants `enable f16;` before all of them: the device's
 * shader modules get it in front wherever our marker is in the code. Once per device; other shaders pass as they are.
 */
function enableF16Shaders(device: GpuDevice): void {
  if (ready.has(device)) return;
  const create = device.createShaderModule.bind(device);
  device.createShaderModule = (d) => create(d.code.includes(F16_SHADER_MARKER) ? { ...d, code: `enable f16;\n${d.code}` } : d);
  ready.add(device);
}

/** The registered webgpu backend, or undefined before `initBackend('webgpu')` created it. */
function webgpuBackend(): WebgpuBackendLike | undefined {
  // The engine's registry, not tf.findBackend: that would start initialising a backend not yet created.
  return (tf.engine() as unknown as { registry: Record<string, WebgpuBackendLike | undefined> }).registry.webgpu;
}

/** True when the live webgpu device can compile f16 shaders (its adapter has `shader-f16`, and it was asked for). */
export function webgpuHasShaderF16(): boolean {
  return webgpuBackend()?.device.features.has('shader-f16') === true;
}

/** tfjs's Conv2DInfo for a kernel's inputs and attributes (gradients: dilation 1, as tfjs's gradients require). */
function convInfo(kernelName: (typeof KERNELS)[number], inputs: KernelArgs['inputs'], attrs: KernelArgs['attrs']): tf.backend_util.Conv2DInfo {
  type Shape4 = [number, number, number, number];
  const [inShape, filterShape] =
    kernelName === 'Conv2DBackpropInput' ? [attrs.inputShape, inputs.filter!.shape] : kernelName === 'Conv2DBackpropFilter' ? [inputs.x!.shape, attrs.filterShape] : [inputs.x!.shape, inputs.filter!.shape];
  const forward = kernelName === 'Conv2D' || kernelName === 'FusedConv2D';
  return tf.backend_util.computeConv2DInfo(
    inShape as Shape4,
    filterShape as Shape4,
    attrs.strides as number | [number, number],
    forward ? (attrs.dilations as number | [number, number]) : 1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'round' | undefined,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat as 'NHWC'),
  );
}

const GEMM_KIND = { Conv2D: 'forward', FusedConv2D: 'forward', Conv2DBackpropInput: 'inputGrad', Conv2DBackpropFilter: 'filterGrad' } as const;

function f16Conv(kernelName: (typeof KERNELS)[number], original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs;
    const { bias, preluActivationWeights } = inputs;
    const operands = kernelName === 'Conv2DBackpropInput' ? [inputs.dy!, inputs.filter!] : kernelName === 'Conv2DBackpropFilter' ? [inputs.x!, inputs.dy!] : [inputs.x!, inputs.filter!];
    const activation = (attrs.activation as string | undefined) ?? 'linear';
    const conv = convInfo(kernelName, inputs, attrs);
    const program = new Conv2DF16Program(GEMM_KIND[kernelName], conv, bias !== undefined, activation === 'relu');
    const handled =
      backend.device.features.has('shader-f16') &&
      conv.dataFormat === 'channelsLast' &&
      operands.every((t) => t.dtype === 'float32') &&
      preluActivationWeights === undefined &&
      (activation === 'linear' || activation === 'relu') &&
      (bias === undefined || (bias.shape.length === 1 && bias.shape[0] === conv.outChannels)) &&
      program.dispatch.every((n) => n <= backend.device.limits.maxComputeWorkgroupsPerDimension);
    if (!handled) return original.kernelFunc(args);
    enableF16Shaders(backend.device);
    return backend.runWebGPUProgram(program, bias === undefined ? operands : [...operands, bias], 'float32', program.uniformData);
  };
}

/** True while our f16 kernels are registered for 'webgpu'. */
export function webgpuF16ConvolutionsEnabled(): boolean {
  return KERNELS.every((name) => (tf.getKernel(name, 'webgpu') as MarkedConfig | undefined)?.[MARK] !== undefined);
}

/**
 * Registers the f16 Conv2D / FusedConv2D / Conv2DBackpropInput / Conv2DBackpropFilter for 'webgpu' (after `initBackend('webgpu')`); the shipped kernels
 * stay the fallback for what ours do not cover. Returns false, changing nothing, where the device lacks
 * `shader-f16`. Idempotent; {@link disableWebgpuF16Convolutions} puts tfjs's kernels back.
 */
export function enableWebgpuF16Convolutions(): boolean {
  if (!webgpuHasShaderF16()) return false;
  for (const kernelName of KERNELS) {
    const existing = tf.getKernel(kernelName, 'webgpu') as MarkedConfig | undefined;
    if (!existing) throw new Error(`enableWebgpuF16Convolutions: no webgpu '${kernelName}' kernel is registered (tfjs-backend-webgpu not loaded?)`);
    if (existing[MARK]) continue;
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: f16Conv(kernelName, existing), setupFunc: existing.setupFunc, [MARK]: existing } as MarkedConfig);
  }
  return true;
}

/** Puts tfjs's own (float32) convolution kernels back on 'webgpu'. Idempotent. */
export function disableWebgpuF16Convolutions(): void {
  for (const kernelName of KERNELS) {
    const ours = tf.getKernel(kernelName, 'webgpu') as MarkedConfig | undefined;
    if (!ours?.[MARK]) continue;
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel(ours[MARK]);
  }
}
