/** Helpers shared by the model builders. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Error for a network configuration whose shapes don't work. */
export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

/**
 * Hands out initializer seeds derived from one user seed, so every layer gets
 * different (but reproducible) random weights. Without a seed, initializers
 * are unseeded (tfjs picks fresh random numbers).
 */
export class SeedSequence {
  private next: number;
  constructor(private readonly seed: number | undefined) {
    this.next = seed ?? 0;
  }
  take(): number | undefined {
    if (this.seed === undefined) return undefined;
    // Odd multiplier keeps derived seeds distinct for distinct user seeds.
    this.next = (this.next * 2654435761 + 40503) % 4294967296;
    return this.next;
  }
}

/** N(0, stddev²) initializer (the book's `weight_init_std * np.random.randn`). */
export function normalInit(stddev: number, seed: number | undefined) {
  return tfl.initializers.randomNormal({ mean: 0, stddev, seed });
}

/** Output size of a convolution or pooling window along one axis (floor, as the book's im2col). */
export function windowOutput(input: number, window: number, stride: number, pad: number): number {
  return Math.floor((input + 2 * pad - window) / stride) + 1;
}

export function checkPositiveInt(what: string, value: unknown, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new ModelConfigError(`${what} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${String(value)}`);
  }
  return value;
}

// tfjs-layers does not export its Initializer base class, and layers accept a
// ready-made initializer only if it is an instance of it; take it from a builtin.
const InitializerBase = Object.getPrototypeOf(tfl.initializers.zeros().constructor) as new () => object;

/**
 * N(mean, stddev²) initializer with its own seeded generator (mulberry32 +
 * Box–Muller), filling a Float32Array directly. tfjs's seeded randomNormal
 * draws element by element through a slow generator, which takes minutes for
 * AlexNet's 61 million weights; this takes about a second.
 */
export class FastNormal extends InitializerBase {
  static className = 'FastNormal';
  constructor(readonly args: { mean?: number; stddev: number; seed?: number }) {
    super();
  }

  apply(shape: number[]): tf.Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(size);
    const mean = this.args.mean ?? 0;
    const sd = this.args.stddev;
    let s = (this.args.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
    const next = () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296; // in (0, 1)
    };
    for (let i = 0; i < size; i += 2) {
      const r = Math.sqrt(-2 * Math.log(next()));
      const a = 2 * Math.PI * next();
      out[i] = mean + sd * r * Math.cos(a);
      if (i + 1 < size) out[i + 1] = mean + sd * r * Math.sin(a);
    }
    return tf.tensor(out, shape);
  }

  getConfig(): tf.serialization.ConfigDict {
    const c: tf.serialization.ConfigDict = { mean: this.args.mean ?? 0, stddev: this.args.stddev };
    if (this.args.seed !== undefined) c.seed = this.args.seed;
    return c;
  }

  static fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls(config);
  }

  getClassName(): string {
    return FastNormal.className;
  }
}
tf.serialization.registerClass(FastNormal as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** A seeded N(0, stddev²) initializer that is fast for large tensors (see `FastNormal`). */
export function fastNormalInit(stddev: number, seed: number | undefined) {
  return new FastNormal({ stddev, seed }) as unknown as ReturnType<typeof tfl.initializers.zeros>;
}
