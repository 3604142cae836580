/**
 * FusedConv2D's epilogue on raw Float32Arrays: add the bias, then apply the
 * activation, exactly as tfjs defines both (its cpu backend's Add then
 * relu/relu6/elu/leakyrelu/prelu/sigmoid), in one pass over the output.
 *
 * Bias and prelu alpha broadcast against the output like tfjs's Add and Prelu;
 * in NCHW a 1-D operand of length outC (≠ 1) lines up with the channel axis,
 * as tfjs's FusedConv2D does.
 */
import { KernelInputError } from './geometry';

export type Activation = 'linear' | 'relu' | 'prelu' | 'elu' | 'relu6' | 'leakyrelu' | 'sigmoid';

export const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'prelu', 'elu', 'relu6', 'leakyrelu', 'sigmoid'];

/** The activation attribute of FusedConv2D and _FusedMatMul, checked (prelu needs its weights). */
export function checkActivation(kernel: string, activation: string | undefined, hasPreluWeights: boolean): Activation {
  const a = (activation ?? 'linear') as Activation;
  if (!ACTIVATIONS.includes(a)) {
    throw new KernelInputError(kernel, `unknown activation '${a}' (valid: ${ACTIVATIONS.join(', ')})`);
  }
  if (a === 'prelu' && !hasPreluWeights) {
    throw new KernelInputError(kernel, `activation 'prelu' needs preluActivationWeights`);
  }
  return a;
}

/** In NCHW a 1-D operand of length outC (≠ 1) lines up with the channel axis, as in tfjs's FusedConv2D. */
export function alignsWithChannels(shape: number[], channelsLast: boolean): boolean {
  return !channelsLast && shape.length === 1 && shape[0] !== 1;
}

/** A broadcast operand: its values and, per output axis, the stride to step by (0 on broadcast axes). */
export interface Broadcast {
  values: Float32Array;
  strides: [number, number, number, number];
}

/**
 * Lines `shape` up against the 4-D output shape (right-aligned, NCHW channel
 * rule above) and returns per-axis strides, or throws naming the operand.
 */
export function broadcastStrides(
  kernel: string, name: string, shape: number[], outShape: number[], channelsLast: boolean,
): [number, number, number, number] {
  const aligned = alignsWithChannels(shape, channelsLast) ? [shape[0], 1, 1] : shape;
  if (aligned.length > 4) {
    throw new KernelInputError(kernel, `${name} of shape [${shape}] has more dimensions than the output [${outShape}]`);
  }
  const full = [...new Array(4 - aligned.length).fill(1), ...aligned];
  const strides: [number, number, number, number] = [0, 0, 0, 0];
  let stride = 1;
  for (let axis = 3; axis >= 0; axis--) {
    if (full[axis] !== 1 && full[axis] !== outShape[axis]) {
      throw new KernelInputError(kernel,
        `${name} of shape [${shape}] does not broadcast to the output shape [${outShape}]`);
    }
    strides[axis] = full[axis] === 1 ? 0 : stride;
    stride *= full[axis];
  }
  return strides;
}

/** `values` of shape `shape` as a broadcast operand of the 4-D output. */
export function broadcastTo(
  kernel: string, name: string, values: Float32Array, shape: number[], outShape: number[], channelsLast: boolean,
): Broadcast {
  return { values, strides: broadcastStrides(kernel, name, shape, outShape, channelsLast) };
}

// Math's functions as module constants: a global lookup per element is slow where the global object
// is intercepted, as in Node's vm contexts (jest runs every test file in one).
const { exp, fround, max, min } = Math;

/** tfjs's activations, value by value (cpu backend definitions, NaN handling included). */
function activate(v: number, activation: Activation, alpha: number, leakyreluAlpha: number): number {
  switch (activation) {
    case 'linear': return v;
    case 'relu': return max(0, v);
    case 'relu6': return min(max(0, v), 6);
    case 'elu': return v >= 0 ? v : exp(v) - 1;
    case 'leakyrelu': return v < 0 ? leakyreluAlpha * v : v;
    case 'prelu': return v < 0 ? alpha * v : v;
    case 'sigmoid': return 1 / (1 + exp(-v));
  }
}

/** y = activation(y + bias) in place; y has the 4-D shape `outShape`. */
export function applyEpilogue(
  y: Float32Array, outShape: number[], bias: Broadcast | null,
  activation: Activation, preluAlpha: Broadcast | null, leakyreluAlpha: number,
): void {
  const [d0, d1, d2, d3] = outShape;
  const bs = bias?.strides ?? [0, 0, 0, 0];
  const as = preluAlpha?.strides ?? [0, 0, 0, 0];
  const bv = bias?.values;
  const av = preluAlpha?.values;
  let i = 0;
  for (let a = 0; a < d0; a++) {
    for (let b = 0; b < d1; b++) {
      for (let c = 0; c < d2; c++) {
        let bi = a * bs[0] + b * bs[1] + c * bs[2];
        let ai = a * as[0] + b * as[1] + c * as[2];
        for (let d = 0; d < d3; d++, i++, bi += bs[3], ai += as[3]) {
          // The sum is rounded to float32 before the activation, as tfjs's separate Add is.
          const v = bv ? fround(y[i] + bv[bi]) : y[i];
          y[i] = activate(v, activation, av ? av[ai] : 0, leakyreluAlpha);
        }
      }
    }
  }
}
