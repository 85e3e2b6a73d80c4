// A consumer of the packed package: every public export used as a user would, so that `tsc`
// (strict, skipLibCheck: false) over it checks the published .d.ts files, and `node` runs it
// (test/unit/package.test.ts). It prints one JSON line of results, which the test compares with
// hand-worked values. Argument: 'cpu', or 'webgpu' (with the `webgpu` package and an adapter).
import {
  Activations,
  ActivationsError,
  DeviceLostError,
  DisposedError,
  ForeignTensorError,
  GpuOperationError,
  InvalidArgumentError,
  Layer,
  MaxoutLayer,
  PreluLayer,
  ShaderCompileError,
  ShapeMismatchError,
  Tensor,
  UnknownOpError,
  WebGPUUnavailableError,
  createActivations,
  opNames,
  opVariants,
  wgslFunctions,
  type AdapterSummary,
  type BackendName,
  type BufferView,
  type CpuKernelsMode,
  type CreateOptions,
  type Dtype,
  type EncodeOptions,
  type Float16ArrayLike,
  type Float16Values,
  type Grads,
  type LayerActivity,
  type LayerEncodeOptions,
  type LayerInput,
  type LayerOptions,
  type MaxoutOptions,
  type OpAttrs,
  type OpName,
  type Operand,
  type PreluAttrs,
  type PreluLayerOptions,
  type PreluOptions,
  type ReadOptions,
  type TensorData,
  type Tuning,
  type WgslFunctions,
  type WgslFunctionsOptions,
} from 'webgpu-activations';

// No @types/node here: a consumer's types are the package's and the WebGPU ones it brings.
const argv = (globalThis as { process?: { argv: string[] } }).process?.argv ?? [];
const backend = (argv[2] ?? 'cpu') as 'cpu' | 'webgpu';
const tuning: Tuning = { workgroupSize: 64 };
const kernels: CpuKernelsMode = 'auto';
const options: CreateOptions = backend === 'cpu' ? { backend, cpuKernels: kernels } : { backend, tuning };
const acts: Activations = await createActivations(options);
const name: BackendName = acts.backend;
const info: AdapterSummary | undefined = acts.adapterInfo;
const device: GPUDevice | undefined = acts.device;

const x: Tensor = acts.tensor([-2, -0, 0.5, 3], [2, 2]);
const op: OpName = 'relu';
const attrs: OpAttrs<'leakyRelu'> = { alpha: 0.5 };
const y = acts.forward(op, x);
const leaky = acts.forward('leakyRelu', x, attrs);
const grads: Grads = { x, dy: acts.tensor([1, 1, 1, 1], [2, 2]) };
const dx = acts.backward('relu', grads);
const data: TensorData<'f32'> = await y.read();

const alpha = acts.tensor([0.25, 0.5]);
const preluOptions: PreluOptions = { axis: 1 };
const preluAttrs: PreluAttrs = { alpha, ...preluOptions };
const p = acts.prelu(x, alpha, preluOptions);
const pb = acts.preluBackward({ x, alpha, dy: grads.dy }, preluOptions);
const byName = acts.forward('prelu', x, preluAttrs);
const maxoutOptions: MaxoutOptions = { pieces: 2 };
const m = acts.maxout(x, maxoutOptions);
const mb = acts.maxoutBackward({ x, dy: acts.tensor([1, 1], [2, 1]) }, maxoutOptions);

const half = acts.tensor(new Uint16Array([0xc000, 0x3c00]));
const halfType: Dtype = half.dtype;
const readOptions: ReadOptions = { f16: 'bits' };
const halfY = await acts.forward('relu', half).read(readOptions);
const halfValues: Promise<Float16Values> | undefined = 'Float16Array' in globalThis ? half.read({ f16: 'values' }) : undefined;
await halfValues;

const layerOptions: LayerOptions = { keep: 'auto', axis: -1, telemetry: true };
const layer: Layer = acts.layer('relu', {}, layerOptions);
const input: LayerInput = x;
const encodeOptions: LayerEncodeOptions = {};
const h = layer.forward(input, encodeOptions);
const activity: LayerActivity = await layer.readActivity();
const dh = layer.backward(acts.tensor([1, 1, 1, 1], [2, 2]));
const preluLayerOptions: PreluLayerOptions = { learnAlpha: true };
const preluLayer: PreluLayer = acts.layer('prelu', { alpha }, preluLayerOptions);
const maxoutLayer: MaxoutLayer = acts.layer('maxout', { pieces: 2 });
const batched = acts.batch(() => acts.forward('sigmoid', x));

let into = 'no buffers on the CPU';
if (device) {
  // STORAGE | COPY_SRC | COPY_DST (Node's `webgpu` package defines no GPUBufferUsage global).
  const buffer = device.createBuffer({ size: 32, usage: 0x80 | 0x04 | 0x08 });
  const view: BufferView = { buffer, offset: 16, length: 4 };
  const operands: { x: Operand; y: Operand } = { x, y: view };
  const encoder = device.createCommandEncoder();
  const encode: EncodeOptions = { encoder };
  acts.forwardInto('relu', operands, {}, encode);
  device.queue.submit([encoder.finish()]);
  into = 'ran';
}

const errors = [
  ActivationsError,
  InvalidArgumentError,
  UnknownOpError,
  ShapeMismatchError,
  DisposedError,
  ForeignTensorError,
  WebGPUUnavailableError,
  DeviceLostError,
  ShaderCompileError,
  GpuOperationError,
];
let refused = '';
try {
  acts.forward('rleu' as OpName, x);
} catch (e) {
  if (e instanceof UnknownOpError && e instanceof InvalidArgumentError) refused = e.name;
}
const f16: Float16ArrayLike | undefined = undefined;
const fusionOptions: WgslFunctionsOptions<'leakyRelu'> = { attrs: { alpha: 0.5 }, width: 4, prefix: 'act' };
const fusion: WgslFunctions = wgslFunctions('leakyRelu', fusionOptions);

console.log(
  JSON.stringify({
    backend: name,
    adapter: info !== undefined || backend === 'cpu',
    relu: [...data],
    leaky: [...(await leaky.read())],
    dx: [...(await dx.read())],
    prelu: [...(await p.read())],
    dalpha: [...(await pb.dalpha.read())],
    preluByName: [...(await byName.read())],
    maxout: [...(await m.read())],
    maxoutDx: [...(await mb.read())],
    half: [halfType, ...halfY],
    layer: [...(await h.read()), ...(await dh.read())],
    dead: activity.deadUnits,
    layers: [preluLayer.keeps, maxoutLayer.keeps, batched.shape.join('x')],
    into,
    refused,
    errors: errors.length,
    ops: opNames.length > 0 && opVariants.clamp === 'hardtanh',
    f16: f16 === undefined,
    fusion: [fusion.forward, fusion.type, fusion.code.includes('const act_ALPHA_BITS: u32 = 0x3f000000u;')],
  }),
);
acts.dispose();
