/**
 * The chapter's own transforms (7.4.2–7.4.3), in the book's layout:
 * images are (N, C, H, W), the im2col matrix has one row per output pixel,
 * ordered (n, oh, ow), and one column per filter weight, ordered (c, fh, fw).
 *
 * These follow the book exactly, including its rule that the filter must fit
 * the padded input a whole number of strides; the tfjs kernels use tfjs's
 * own rounding instead.
 */
import { tensor2d, tensor4d, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { show } from '../kernels/core/show';

/** Throws unless `value` is an integer of at least `min` (1: positive, 0: non-negative), naming `fn` and the argument. */
function checkInteger(fn: string, name: string, value: unknown, min: 0 | 1): void {
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new Error(`${fn}: ${name} must be a ${min === 1 ? 'positive' : 'non-negative'} integer, got ${show(value)}`);
  }
}

/** Throws unless filterH and filterW are positive integers, stride too, and pad is non-negative. */
function checkWindow(fn: string, filterH: unknown, filterW: unknown, stride: unknown, pad: unknown): void {
  checkInteger(fn, 'filterH', filterH, 1);
  checkInteger(fn, 'filterW', filterW, 1);
  checkInteger(fn, 'stride', stride, 1);
  checkInteger(fn, 'pad', pad, 0);
}

/** Throws unless `t` is a tensor of the given rank. */
function checkRank(fn: string, name: string, t: unknown, rank: number, layout: string): void {
  const shape = (t as { shape?: unknown } | null | undefined)?.shape;
  if (!Array.isArray(shape)) throw new Error(`${fn}: ${name} must be a ${rank}-D tensor${layout}, got ${show(t)}`);
  if (shape.length !== rank) throw new Error(`${fn}: ${name} must be a ${rank}-D tensor${layout}, got shape ${show(shape)}`);
}

/** Throws unless col2im's inputShape is four positive integers. */
function checkInputShape(inputShape: unknown): void {
  if (!Array.isArray(inputShape) || inputShape.length !== 4 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`col2im: inputShape must be 4 positive integers [N, C, H, W], got ${show(inputShape)}`);
  }
}

/** Equation 7.1 on checked integers; `fn` names the caller in the errors. */
function outputSize(fn: string, inputSize: number, filterSize: number, stride: number, pad: number): number {
  const span = inputSize + 2 * pad - filterSize;
  if (span < 0) {
    throw new Error(`${fn}: filter ${filterSize} is larger than the padded input ${inputSize + 2 * pad}`);
  }
  if (span % stride !== 0) {
    throw new Error(`${fn}: (H + 2P - FH) = ${span} is not divisible by the stride ${stride}`);
  }
  return span / stride + 1;
}

/** Equation 7.1: OH = (H + 2P − FH) / S + 1. Throws when the stride doesn't divide evenly. */
export function convOutputSize(inputSize: number, filterSize: number, stride = 1, pad = 0): number {
  checkInteger('convOutputSize', 'inputSize', inputSize, 1);
  checkInteger('convOutputSize', 'filterSize', filterSize, 1);
  checkInteger('convOutputSize', 'stride', stride, 1);
  checkInteger('convOutputSize', 'pad', pad, 0);
  return outputSize('convOutputSize', inputSize, filterSize, stride, pad);
}

interface Shape4 { N: number; C: number; H: number; W: number; outH: number; outW: number }

/** The image and output sizes, for a checked (N, C, H, W) shape and window. */
function shapeOf(inputShape: number[], filterH: number, filterW: number, stride: number, pad: number, fn: string): Shape4 {
  const [N, C, H, W] = inputShape;
  return { N, C, H, W, outH: outputSize(fn, H, filterH, stride, pad), outW: outputSize(fn, W, filterW, stride, pad) };
}

/**
 * Calls visit(row, col, index) for every entry of the im2col matrix, with the
 * index of the input pixel it copies (or −1 for padding).
 */
function forEachEntry(
  s: Shape4, filterH: number, filterW: number, stride: number, pad: number,
  visit: (row: number, col: number, index: number) => void,
): void {
  for (let n = 0; n < s.N; n++) {
    for (let oh = 0; oh < s.outH; oh++) {
      for (let ow = 0; ow < s.outW; ow++) {
        const row = (n * s.outH + oh) * s.outW + ow;
        for (let c = 0; c < s.C; c++) {
          for (let fh = 0; fh < filterH; fh++) {
            for (let fw = 0; fw < filterW; fw++) {
              const h = oh * stride + fh - pad;
              const w = ow * stride + fw - pad;
              const inside = h >= 0 && h < s.H && w >= 0 && w < s.W;
              visit(row, (c * filterH + fh) * filterW + fw, inside ? ((n * s.C + c) * s.H + h) * s.W + w : -1);
            }
          }
        }
      }
    }
  }
}

/** im2col(x) for x of shape (N, C, H, W): a (N·OH·OW, C·FH·FW) matrix, zero where the window is in the padding. */
export function im2col(x: Tensor4D, filterH: number, filterW: number, stride = 1, pad = 0): Tensor2D {
  checkRank('im2col', 'x', x, 4, ' (N, C, H, W)');
  checkWindow('im2col', filterH, filterW, stride, pad);
  const s = shapeOf(x.shape, filterH, filterW, stride, pad, 'im2col');
  const values = x.dataSync();
  const cols = s.C * filterH * filterW;
  const col = new Float32Array(s.N * s.outH * s.outW * cols);
  forEachEntry(s, filterH, filterW, stride, pad, (row, c, index) => {
    col[row * cols + c] = index < 0 ? 0 : values[index];
  });
  return tensor2d(col, [s.N * s.outH * s.outW, cols]);
}

/**
 * col2im: the adjoint of im2col, back to an (N, C, H, W) image. Entries that
 * came from the same pixel (overlapping windows) are summed; padding is dropped.
 */
export function col2im(
  col: Tensor2D, inputShape: [number, number, number, number], filterH: number, filterW: number, stride = 1, pad = 0,
): Tensor4D {
  checkInputShape(inputShape);
  checkWindow('col2im', filterH, filterW, stride, pad);
  checkRank('col2im', 'col', col, 2, '');
  const s = shapeOf(inputShape, filterH, filterW, stride, pad, 'col2im');
  const cols = s.C * filterH * filterW;
  const rows = s.N * s.outH * s.outW;
  if (col.shape[0] !== rows || col.shape[1] !== cols) {
    throw new Error(`col2im: col must have shape [${rows}, ${cols}] for input [${inputShape}], got [${col.shape}]`);
  }
  const values = col.dataSync();
  const img = new Float32Array(s.N * s.C * s.H * s.W);
  forEachEntry(s, filterH, filterW, stride, pad, (row, c, index) => {
    if (index >= 0) img[index] += values[row * cols + c];
  });
  return tensor4d(img, inputShape);
}
