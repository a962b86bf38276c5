import { ATTR, ONNX_FLOAT, ONNX_INT64, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx-schema.js';

/** An attribute value as the converters write it: integer(s), a string, or `{ float }` for a FLOAT. */
export type AttrValue = number | string | number[] | { float: number };

const utf8 = new TextEncoder();

function attribute(name: string, value: AttrValue): OnnxAttribute {
  if (typeof value === 'string') return { name, type: ATTR.STRING, s: utf8.encode(value) };
  if (typeof value === 'object' && !Array.isArray(value)) return { name, type: ATTR.FLOAT, f: value.float };
  const ints = Array.isArray(value) ? value : [value];
  if (!ints.every(Number.isInteger)) throw new Error(`attribute '${name}': [${ints.join(', ')}] are not integers (wrap a float as { float })`);
  return Array.isArray(value) ? { name, type: ATTR.INTS, ints } : { name, type: ATTR.INT, i: value };
}

/** Nodes and float32 initializers of one ONNX graph, in the order they are added (topological). */
export class OnnxGraph {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly initializerNames = new Set<string>();

  node(opType: string, name: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): void {
    this.nodes.push({ name, op_type: opType, input: inputs, output: outputs, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
  }

  /**
   * Adds a float32 initializer (little-endian raw bytes, as ONNX stores them) and returns its name; a name
   * already added is returned as is (a layer applied twice shares its weights).
   */
  initializer(name: string, dims: number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`initializer '${name}': ${data.length} values for shape [${dims.join(', ')}]`);
    return this.addInitializer(name, dims, ONNX_FLOAT, data);
  }

  /** A 1-D int64 constant (shape arithmetic, split sizes), shared by every node that needs the same values. */
  int64s(values: number[]): string {
    return this.addInitializer(`const.int64.${values.join('_')}`, [values.length], ONNX_INT64, BigInt64Array.from(values, (v) => BigInt(v)));
  }

  private addInitializer(name: string, dims: number[], dataType: number, data: Float32Array | BigInt64Array): string {
    if (this.initializerNames.has(name)) return name;
    this.initializerNames.add(name);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dims, data_type: dataType, raw_data: bytes });
    return name;
  }
}
