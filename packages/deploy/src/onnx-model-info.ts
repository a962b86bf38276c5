import { METADATA, type InputLayout } from './export-onnx.js';
import { ModelProto } from './onnx-schema.js';

/** What the predictor needs to know about an ONNX file, read from the file itself. */
export interface OnnxModelInfo {
  inputName: string;
  /** Layout of the file's image input and rank-4 outputs (our metadata; ONNX's NCHW when absent). */
  layout: InputLayout;
  /** NHWC [N, H, W, C], null = dynamic. */
  inputShape: Array<number | null>;
  /** H and W must be multiples of this (our metadata; 1 when absent). */
  divisor: number;
  opset: number;
  irVersion: number;
  nodeCount: number;
  initializerNames: string[];
  nodeNames: string[];
  outputNames: string[];
  metadata: Record<string, string>;
}

interface DecodedModel {
  ir_version?: number;
  opset_import?: Array<{ domain?: string; version?: number }>;
  metadata_props?: Array<{ key: string; value: string }>;
  graph?: {
    node?: Array<{ name?: string }>;
    initializer?: Array<{ name?: string }>;
    input?: Array<{ name: string; type?: { tensor_type?: { shape?: { dim?: Array<{ dim_value?: number; dim_param?: string }> } } } }>;
    output?: Array<{ name: string }>;
  };
}

/** Reads `bytes` as an ONNX model; `source` names the file in the error when they are not one. */
export function readOnnxModelInfo(bytes: Uint8Array, source: string): OnnxModelInfo {
  let m: DecodedModel;
  try {
    m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as DecodedModel;
  } catch (e) {
    throw new Error(`${source}: not an ONNX model (${(e as Error).message})`);
  }
  const graph = m.graph;
  const opset = m.opset_import?.find((o) => !o.domain)?.version;
  if (!graph?.node?.length || !graph.input?.length || !graph.output?.length || !m.ir_version || !opset) {
    throw new Error(`${source}: not an ONNX model (no graph with nodes, inputs and outputs, IR version and opset)`);
  }
  const initializerNames = (graph.initializer ?? []).map((t) => t.name ?? '');
  const initializers = new Set(initializerNames);
  const inputs = graph.input.filter((i) => !initializers.has(i.name));
  if (inputs.length !== 1) throw new Error(`${source}: the predictor runs models with one image input, this one has ${inputs.length}`);
  const metadata = Object.fromEntries((m.metadata_props ?? []).map((p) => [p.key, p.value]));
  const layout = (metadata[METADATA.inputLayout] ?? 'NCHW') as InputLayout;
  const dims = (inputs[0].type?.tensor_type?.shape?.dim ?? []).map((d) => d.dim_value ?? null);
  if (dims.length !== 4) throw new Error(`${source}: the model's input '${inputs[0].name}' is not a rank-4 image batch`);
  return {
    inputName: inputs[0].name,
    layout,
    inputShape: layout === 'NCHW' ? [dims[0], dims[2], dims[3], dims[1]] : dims,
    divisor: Number(metadata[METADATA.inputDivisor] ?? 1),
    opset,
    irVersion: m.ir_version,
    nodeCount: graph.node.length,
    initializerNames,
    nodeNames: graph.node.map((n) => n.name ?? ''),
    outputNames: graph.output.map((o) => o.name),
    metadata,
  };
}
