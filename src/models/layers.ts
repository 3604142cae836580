/**
 * Layers the chapter's historical networks need and tfjs-layers lacks. All are
 * registered with tfjs's serialization, so models using them save and load.
 *
 * - `Subsampling2D`: LeNet's subsampling — the sum of each 2×2 block times a
 *   trainable per-map coefficient plus a trainable per-map bias.
 * - `SparseConv2D`: a convolution where output map j sees only the input maps
 *   `connections[j]` (LeNet-5's C3 table); only connected filters are parameters.
 * - `GroupedConv2D`: AlexNet's two-GPU convolution: input and output maps split
 *   into `groups` independent halves.
 * - `LocalResponseNormalization`: AlexNet's LRN across maps.
 * - `EuclideanRBF`: LeNet-5's output layer, y_i = Σ_j (x_j − w_ij)².
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
type Kwargs = Parameters<tfl.layers.Layer['call']>[1];
type ConfigDict = tf.serialization.ConfigDict;

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor4D {
  return (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
}

function shape4(inputShape: tfl.Shape | tfl.Shape[]): (number | null)[] {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
}

function initializerFor(init: unknown) {
  return (typeof init === 'object' && init !== null && 'apply' in init)
    ? init as ReturnType<typeof tfl.initializers.zeros>
    : tfl.initializers.zeros();
}

export interface Subsampling2DArgs extends LayerArgs {
  poolSize?: number;
}

export class Subsampling2D extends tfl.layers.Layer {
  static className = 'Subsampling2D';
  readonly poolSize: number;
  private coef: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: Subsampling2DArgs = {}) {
    super(args);
    this.poolSize = args.poolSize ?? 2;
  }

  build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const channels = shape4(inputShape)[3] as number;
    this.coef = this.addWeight('coef', [channels], 'float32', tfl.initializers.ones());
    this.bias = this.addWeight('bias', [channels], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w, c] = shape4(inputShape);
    const p = this.poolSize;
    return [n, h === null ? null : Math.floor(h / p), w === null ? null : Math.floor(w / p), c];
  }

  call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const p = this.poolSize;
      // average × window size = sum over the window
      const sum = tf.mul(tf.avgPool(single(inputs), p, p, 'valid'), p * p);
      return tf.add(tf.mul(sum, this.coef!.read()), this.bias!.read());
    });
  }

  getConfig(): ConfigDict {
    return { ...super.getConfig(), poolSize: this.poolSize };
  }
}

export interface SparseConv2DArgs extends LayerArgs {
  /** connections[j]: the input maps output map j is connected to. */
  connections: number[][];
  kernelSize: number;
  seed?: number;
  /** Standard deviation of the N(0, σ²) initialisation; default sqrt(1 / fan_in) per map. */
  stddev?: number;
}

export class SparseConv2D extends tfl.layers.Layer {
  static className = 'SparseConv2D';
  readonly connections: number[][];
  readonly kernelSize: number;
  readonly seed?: number;
  readonly stddev?: number;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;
  private gatherIndex: tf.Tensor1D | null = null;
  private inChannels = 0;

  constructor(args: SparseConv2DArgs) {
    super(args);
    this.connections = args.connections.map((c) => [...c]);
    this.kernelSize = args.kernelSize;
    this.seed = args.seed;
    this.stddev = args.stddev;
  }

  /** Number of (input map, output map) pairs that are connected. */
  get connectionCount(): number {
    return this.connections.reduce((s, c) => s + c.length, 0);
  }

  build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const cin = shape4(inputShape)[3] as number;
    this.inChannels = cin;
    const k = this.kernelSize;
    const pairs = this.connectionCount;
    for (const c of this.connections) {
      for (const i of c) if (!(Number.isInteger(i) && i >= 0 && i < cin)) throw new Error(`SparseConv2D: input map ${i} does not exist (input has ${cin})`);
    }
    const meanFanIn = (pairs / this.connections.length) * k * k;
    const stddev = this.stddev ?? Math.sqrt(1 / meanFanIn);
    // Compact storage: one k×k filter per connected pair, [k·k, pairs].
    this.kernel = this.addWeight('kernel', [k * k, pairs], 'float32', tfl.initializers.randomNormal({ mean: 0, stddev, seed: this.seed }));
    this.bias = this.addWeight('bias', [this.connections.length], 'float32', tfl.initializers.zeros());
    // For every element of the dense [k, k, cin, cout] kernel: its index in the flattened compact
    // kernel with a zero appended, or that zero when (input, output) aren't connected.
    const cout = this.connections.length;
    const zero = k * k * pairs;
    const index = new Int32Array(k * k * cin * cout).fill(zero);
    let pair = 0;
    this.connections.forEach((inputs, j) => {
      for (const i of inputs) {
        for (let t = 0; t < k * k; t++) index[(t * cin + i) * cout + j] = t * pairs + pair;
        pair++;
      }
    });
    this.gatherIndex = tf.keep(tf.tensor1d(index, 'int32'));
    this.built = true;
  }

  computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w] = shape4(inputShape);
    const k = this.kernelSize;
    return [n, h === null ? null : h - k + 1, w === null ? null : w - k + 1, this.connections.length];
  }

  call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const k = this.kernelSize;
      const flat = tf.concat([tf.reshape(this.kernel!.read(), [-1]), tf.zeros([1])]);
      const dense = tf.reshape(tf.gather(flat, this.gatherIndex!), [k, k, this.inChannels, this.connections.length]) as tf.Tensor4D;
      return tf.add(tf.conv2d(single(inputs), dense, 1, 'valid'), this.bias!.read());
    });
  }

  dispose() {
    this.gatherIndex?.dispose();
    this.gatherIndex = null;
    return super.dispose();
  }

  getConfig(): ConfigDict {
    const config: ConfigDict = { ...super.getConfig(), connections: this.connections, kernelSize: this.kernelSize };
    if (this.seed !== undefined) config.seed = this.seed;
    if (this.stddev !== undefined) config.stddev = this.stddev;
    return config;
  }
}

export interface GroupedConv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number;
  strides?: number;
  padding?: 'valid' | 'same';
  groups: number;
  activation?: 'relu' | 'linear';
  kernelInitializer?: ReturnType<typeof tfl.initializers.zeros>;
  biasInitializer?: ReturnType<typeof tfl.initializers.zeros>;
}

export class GroupedConv2D extends tfl.layers.Layer {
  static className = 'GroupedConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'valid' | 'same';
  readonly groups: number;
  readonly activation: 'relu' | 'linear';
  private readonly kernelInit;
  private readonly biasInit;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: GroupedConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.padding = args.padding ?? 'valid';
    this.groups = args.groups;
    this.activation = args.activation ?? 'linear';
    this.kernelInit = initializerFor(args.kernelInitializer ?? tfl.initializers.glorotUniform({}));
    this.biasInit = initializerFor(args.biasInitializer);
    if (this.filters % this.groups !== 0) throw new Error(`GroupedConv2D: ${this.filters} filters don't split into ${this.groups} groups`);
  }

  build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const cin = shape4(inputShape)[3] as number;
    if (cin % this.groups !== 0) throw new Error(`GroupedConv2D: ${cin} input maps don't split into ${this.groups} groups`);
    const k = this.kernelSize;
    this.kernel = this.addWeight('kernel', [k, k, cin / this.groups, this.filters], 'float32', this.kernelInit);
    this.bias = this.addWeight('bias', [this.filters], 'float32', this.biasInit);
    this.built = true;
  }

  computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w] = shape4(inputShape);
    const out = (x: number | null) => x === null ? null
      : this.padding === 'same' ? Math.ceil(x / this.strides) : Math.floor((x - this.kernelSize) / this.strides) + 1;
    return [n, out(h), out(w), this.filters];
  }

  call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const xs = this.groups === 1 ? [x] : tf.split(x, this.groups, 3);
      const ks = this.groups === 1 ? [this.kernel!.read() as tf.Tensor4D] : tf.split(this.kernel!.read() as tf.Tensor4D, this.groups, 3);
      const ys = xs.map((xi, g) => tf.conv2d(xi as tf.Tensor4D, ks[g] as tf.Tensor4D, this.strides, this.padding));
      const y = tf.add(ys.length === 1 ? ys[0] : tf.concat(ys, 3), this.bias!.read());
      return this.activation === 'relu' ? tf.relu(y) : y;
    });
  }

  getConfig(): ConfigDict {
    return {
      ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize, strides: this.strides,
      padding: this.padding, groups: this.groups, activation: this.activation,
    };
  }
}

export interface LrnArgs extends LayerArgs {
  depthRadius?: number;
  bias?: number;
  alpha?: number;
  beta?: number;
}

/** b = a / (bias + alpha · Σ_{|j−i| ≤ depthRadius} a_j²)^beta; AlexNet: n = 5 (radius 2), k = 2, α = 1e-4, β = 0.75. */
export class LocalResponseNormalization extends tfl.layers.Layer {
  static className = 'LocalResponseNormalization';
  readonly depthRadius: number;
  readonly lrnBias: number;
  readonly alpha: number;
  readonly beta: number;

  constructor(args: LrnArgs = {}) {
    super(args);
    this.depthRadius = args.depthRadius ?? 2;
    this.lrnBias = args.bias ?? 2;
    this.alpha = args.alpha ?? 1e-4;
    this.beta = args.beta ?? 0.75;
  }

  call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.localResponseNormalization(single(inputs), this.depthRadius, this.lrnBias, this.alpha, this.beta);
  }

  getConfig(): ConfigDict {
    return { ...super.getConfig(), depthRadius: this.depthRadius, bias: this.lrnBias, alpha: this.alpha, beta: this.beta };
  }
}

export interface EuclideanRbfArgs extends LayerArgs {
  units: number;
  seed?: number;
  /** The paper fixes the centres by hand; default false (not trained). */
  trainableCentres?: boolean;
}

/** y_i = Σ_j (x_j − w_ij)²: a penalty per class (the smallest wins). Centres start as random ±1 codes. */
export class EuclideanRBF extends tfl.layers.Layer {
  static className = 'EuclideanRBF';
  readonly units: number;
  readonly seed?: number;
  readonly trainableCentres: boolean;
  private centres: tfl.LayerVariable | null = null;

  constructor(args: EuclideanRbfArgs) {
    super(args);
    this.units = args.units;
    this.seed = args.seed;
    this.trainableCentres = args.trainableCentres ?? false;
  }

  build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const d = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape)[1] as number;
    const seed = this.seed;
    const units = this.units;
    const pm1 = {
      apply: (shape: number[]) => tf.tidy(() => tf.sub(tf.mul(tf.step(tf.randomUniform(shape, -1, 1, 'float32', seed)), 2), 1)),
      getConfig: () => ({}),
      getClassName: () => 'RandomSign',
    };
    this.centres = this.addWeight('centres', [d, units], 'float32', pm1 as unknown as ReturnType<typeof tfl.initializers.zeros>,
      undefined, this.trainableCentres);
    this.built = true;
  }

  computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    return [s[0], this.units];
  }

  call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const w = this.centres!.read() as tf.Tensor2D;
      // ‖x − w_i‖² = ‖x‖² − 2 x·w_i + ‖w_i‖²
      return tf.add(tf.sub(tf.sum(tf.square(x), 1, true), tf.mul(tf.matMul(x, w), 2)), tf.sum(tf.square(w), 0, true));
    });
  }

  getConfig(): ConfigDict {
    const config: ConfigDict = { ...super.getConfig(), units: this.units, trainableCentres: this.trainableCentres };
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }
}

for (const cls of [Subsampling2D, SparseConv2D, GroupedConv2D, LocalResponseNormalization, EuclideanRBF]) {
  tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}
