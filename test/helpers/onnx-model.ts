// A hand-encoded ONNX model of one node, so the ONNX Runtime Web checks and benchmarks need no
// .onnx file and no protobuf library. Field numbers are those of onnx/onnx.proto3.

/** Protobuf wire types: a varint, or a length-delimited run of bytes. A float is fixed32 (5). */
const VARINT = 0;
const FIXED32 = 5;
const BYTES = 2;

/** TensorProto.DataType.FLOAT, and AttributeProto.AttributeType.FLOAT. */
const ONNX_FLOAT = 1;

function varint(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint: ${value} is not a non-negative safe integer`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const utf8 = new TextEncoder();

/** One field: its key (field number and wire type), then the value. */
const field = {
  int: (n: number, value: number) => [...varint((n << 3) | VARINT), ...varint(value)],
  bytes: (n: number, body: readonly number[]) => [...varint((n << 3) | BYTES), ...varint(body.length), ...body],
  string: (n: number, text: string) => field.bytes(n, [...utf8.encode(text)]),
  float: (n: number, value: number) => {
    const b = new Uint8Array(new Float32Array([value]).buffer); // little-endian on every platform WebGPU runs on
    return [...varint((n << 3) | FIXED32), ...b];
  },
};

/** ValueInfoProto { name: 1, type: 2 } with TypeProto { tensor_type: 1 { elem_type: 1, shape: 2 { dim: 1 { dim_value: 1 } } } }. */
function floatVector(name: string, n: number): number[] {
  const shape = field.bytes(1, field.int(1, n));
  const tensorType = [...field.int(1, ONNX_FLOAT), ...field.bytes(2, shape)];
  return [...field.string(1, name), ...field.bytes(2, field.bytes(1, tensorType))];
}

/**
 * An ONNX model (opset 17, IR version 8) of one node `y = opType(x)`, with x and y float32 of
 * shape [n]. Float attributes, such as LeakyRelu's alpha, go in `attrs`.
 *
 * @example
 * const session = await ort.InferenceSession.create(oneNodeModel('Relu', 1001), { executionProviders: ['webgpu'] });
 * const { y } = await session.run({ x: new ort.Tensor('float32', data, [1001]) });
 */
export function oneNodeModel(opType: string, n: number, attrs: Readonly<Record<string, number>> = {}): Uint8Array {
  // NodeProto { input: 1, output: 2, name: 3, op_type: 4, attribute: 5 }; AttributeProto { name: 1, f: 2, type: 20 }.
  const attributes = Object.entries(attrs).flatMap(([name, value]) =>
    field.bytes(5, [...field.string(1, name), ...field.float(2, value), ...field.int(20, ONNX_FLOAT)]),
  );
  const node = [
    ...field.string(1, 'x'),
    ...field.string(2, 'y'),
    ...field.string(3, opType.toLowerCase()),
    ...field.string(4, opType),
    ...attributes,
  ];
  // GraphProto { node: 1, name: 2, input: 11, output: 12 }.
  const graph = [
    ...field.bytes(1, node),
    ...field.string(2, `one_${opType}`),
    ...field.bytes(11, floatVector('x', n)),
    ...field.bytes(12, floatVector('y', n)),
  ];
  // ModelProto { ir_version: 1, producer_name: 2, graph: 7, opset_import: 8 { domain: 1, version: 2 } }.
  const opset = field.int(2, 17);
  return Uint8Array.from([
    ...field.int(1, 8),
    ...field.string(2, 'webgpu-activations tests'),
    ...field.bytes(7, graph),
    ...field.bytes(8, opset),
  ]);
}
