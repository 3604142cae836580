/**
 * Plain data shared by the Node runners, the WebGL page and the reports.
 * Everything here crosses the Node/Chromium boundary as JSON, so no tensors.
 */

export type Op =
  | 'Conv2D' | 'Conv2DBackpropInput' | 'Conv2DBackpropFilter'
  | 'DepthwiseConv2dNative' | 'DepthwiseConv2dNativeBackpropInput' | 'DepthwiseConv2dNativeBackpropFilter'
  | 'MaxPool' | 'MaxPoolGrad' | 'AvgPool' | 'AvgPoolGrad'
  | 'TrainStep'
  /** A whole tfjs-layers network: `model.predict` (NetForward) or one SGD step (NetTrain). */
  | 'NetForward' | 'NetTrain';

export type Pad = 'same' | 'valid' | number;

export interface ConvParams {
  kind: 'conv';
  /** NHWC or NCHW, as `dataFormat` says. */
  xShape: [number, number, number, number];
  /** [filterH, filterW, inChannels, outChannels], or for a depthwise convolution [filterH, filterW, inChannels, multiplier]. */
  filterShape: [number, number, number, number];
  /** A depthwise convolution (DepthwiseConv2dNative and its gradients). */
  depthwise?: boolean;
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  /** Output shape of the forward convolution (the shape of dy). */
  outShape: [number, number, number, number];
}

export interface PoolParams {
  kind: 'pool';
  xShape: [number, number, number, number];
  filterSize: [number, number];
  strides: [number, number];
  pad: Pad;
  outShape: [number, number, number, number];
}

export interface TrainParams {
  kind: 'train';
  /** Which network's step (benchmarks/suite/ops.ts): SimpleConvNet (ReLU, max pool) or LeNet (sigmoid, average pools). */
  net: 'SimpleConvNet' | 'LeNet';
  batch: number;
  learningRate: number;
}

export interface NetParams {
  kind: 'net';
  arch: 'mobilenet_v1' | 'mobilenet_v2' | 'resblock';
  /** Width multiplier (MobileNets); 1 for the ResNet block. */
  alpha: number;
  /** Input height = width. */
  size: number;
  channels: number;
  classes: number;
  batch: number;
  mode: 'forward' | 'train';
  learningRate?: number;
}

export interface CaseSpec {
  /** Stable identifier, e.g. `SimpleConvNet/b100/conv1/dW`. */
  id: string;
  /** The network (or `odd` for the odd shapes). */
  net: string;
  layer: string;
  batch: number;
  op: Op;
  /** Human-readable one-liner: shapes and hyper-parameters. */
  detail: string;
  /** Floating-point operations of one call (a multiply-add counts 2); for pools, window reads. */
  work: number;
  /** Convolutions: the FLOP of taps inside the image, which scales the probes' times to this case. */
  effectiveWork?: number;
  /** True when `work` is floating-point operations (GFLOP/s is meaningful). */
  isFlops: boolean;
  params: ConvParams | PoolParams | TrainParams | NetParams;
  seed: number;
  /** Issue-2 speed target (ours ÷ builtin on cpu), when the case has one. */
  target?: number;
  /** Headline cases (speed targets, the training step) are never skipped for being slow. */
  mustRun?: boolean;
  /**
   * For big convolutions: the same layer at batch 1 on a few output pixels,
   * and on about four times as many; timed to estimate this case's cost.
   */
  probes?: CaseSpec[];
}

export type Backend = 'cpu' | 'wasm' | 'webgl' | 'tensorflow';
export type Impl = 'ours' | 'builtin';

export interface Stats {
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Median absolute deviation from the median, ms. */
  madMs: number;
  /** Relative margin of error of the mean (95%), percent. */
  rmePct: number;
  samples: number;
  /** Duration of the first (untimed: warm-up + correctness) call. */
  firstCallMs: number;
  /** The call was so slow that the first call is the only sample. */
  firstCallOnly?: boolean;
  /** WebGL: the samples alternated builtin / ours call by call (same load on both). */
  interleaved?: boolean;
}

export interface ErrorMetrics {
  /** max |a − b| */
  maxAbs: number;
  /** max |a − b| ÷ max |b| (the error relative to the result's magnitude). */
  maxRel: number;
}

export interface MemoryMetrics {
  /** Node: process RSS, the larger of after the first call (output alive) and after timing. */
  rssBytes?: number;
  /** Node: the process's RSS high-water mark (getrusage maxrss) when the case finished. */
  maxRssBytes?: number;
  /** tf.memory().numBytes with the output alive. */
  tensorBytes?: number;
  /** WebGL: tf.memory().numBytesInGPUAllocated, the larger of with the output alive and after timing. */
  gpuBytesAllocated?: number;
  /** WebGL: tf.memory().numBytesInGPU with the output alive. */
  gpuBytesInUse?: number;
  /** Chromium: performance.memory.usedJSHeapSize after the case. */
  jsHeapBytes?: number;
}

export type Status = 'ok' | 'skipped' | 'n/a' | 'error';

export interface Measurement {
  caseId: string;
  backend: Backend;
  impl: Impl;
  status: Status;
  /** Why it was skipped / not available / failed. */
  note?: string;
  stats?: Stats;
  /** work ÷ median, when the case counts flops. */
  gflops?: number;
  /** Ours vs the builtin of the same backend, same inputs, same run. */
  vsBuiltin?: ErrorMetrics;
  /** Against the cpu reference (see `referenceSource` of the case). */
  vsReference?: ErrorMetrics;
  memory?: MemoryMetrics;
  /**
   * WebGL: distinct shader programs the first call used (tfjs compile-cache keys looked up): what a fresh
   * page compiles for this call.
   */
  programs?: number;
  /**
   * WebGL, ours: the geometric mean of the rounds' paired ratios builtin ÷ ours, with its bootstrap interval
   * (benchmarks/suite/paired.ts).
   */
  paired?: PairedSpeedup;
  /** WebGL, ours: the call ran only builtin programs (handed to the builtin, see kernels/webgl/builtin_classes.ts). */
  handedToBuiltin?: boolean;
}

/** builtin ÷ ours over paired rounds: geometric mean and confidence interval. */
export interface PairedSpeedup {
  geomean: number;
  lo: number;
  hi: number;
  rounds: number;
  /** Of the interval [lo, hi], e.g. 0.95. */
  confidence: number;
}

/** Where one call's time goes: tf.profile of the first call after a warm-up, per kernel name. */
export interface KernelProfile {
  backend: Backend;
  impl: Impl;
  /** Sum of the kernels' times, ms. */
  kernelMs: number;
  /** Wall time of the profiled call, ms (includes tfjs's own work and the profiler's). */
  wallMs: number;
  kernels: Array<{ name: string; ms: number; calls: number }>;
}

export interface CaseResult {
  spec: CaseSpec;
  /** Network cases: per-kernel time of one call with ours on cpu. */
  profile?: KernelProfile;
  /**
   * Network forward cases: ours on cpu and tfjs-backend-wasm timed alternately, call by call, so the
   * load of other processes falls on both alike (the sections above run minutes apart).
   */
  paired?: { oursCpuMs: number; wasmMs: number; rounds: number };
  /** Which implementation produced the reference output: tfjs's builtin cpu kernel, or ours on cpu when the builtin is too slow. */
  referenceSource?: 'builtin-cpu' | 'ours-cpu';
  measurements: Measurement[];
}

export interface WebglEnv {
  /** The browser binary the section drove. */
  browser?: string;
  /** --gpu: the browser was free to use the machine's GPU (no forced SwiftShader). */
  gpuRequested?: boolean;
  headed?: boolean;
  /** The browser's command-line flags. */
  browserArgs?: string[];
  renderer: string;
  vendor: string;
  webglVersion: number;
  float32RenderTargets: boolean;
  /** True when the renderer is a software rasterizer (SwiftShader, llvmpipe, ...). */
  software: boolean;
  chromiumVersion: string;
  oursOnWebgl: boolean;
  /** The page was cross-origin isolated (its clock precise to 5 µs rather than 100 µs). */
  crossOriginIsolated?: boolean;
  note?: string;
}

export interface Environment {
  date: string;
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  platform: string;
  node: string;
  tfjs: Record<string, string>;
  gemmEngine: string;
  backendsRequested: Backend[];
  wasm?: { simd: boolean; threads: boolean; note?: string };
  tfjsNode: { present: boolean; note: string };
  webgl?: WebglEnv;
  quick: boolean;
  caseFilter?: string;
  /** Free text from --note (e.g. "machine shared with other jobs"). */
  note?: string;
  wallSeconds?: number;
  /** Wall time of each backend section. */
  sectionSeconds?: Record<string, number>;
}

export interface Report {
  environment: Environment;
  cases: CaseResult[];
}
