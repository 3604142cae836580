/**
 * The chapter's image figures as PNGs: first-layer filters (figure 7-24), filters applied to an
 * image (figure 7-25) and misclassified test digits. (The training chart is in chart.ts.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { Canvas, GLYPH_H, minMaxScale, Rgb, textWidth } from './canvas';

const BLACK: Rgb = [0, 0, 0];

/**
 * First-layer filters as a grid (figure 7-24): kernel [FH, FW, C, FN], first
 * input channel of each filter, each filter min–max scaled on its own
 * (smallest value black, largest white), `scale` screen pixels per weight.
 */
export function filterGrid(kernel: tf.Tensor4D, columns = 10, scale = 8): Canvas {
  const [fh, fw, , fn] = kernel.shape;
  const data = kernel.arraySync();
  const gap = 4;
  const rows = Math.ceil(fn / columns);
  const cols = Math.min(columns, fn);
  const c = new Canvas(gap + cols * (fw * scale + gap), gap + rows * (fh * scale + gap), [255, 255, 255]);
  for (let f = 0; f < fn; f++) {
    const values = new Float32Array(fh * fw);
    for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) values[i * fw + j] = data[i][j][0][f];
    const x = gap + (f % columns) * (fw * scale + gap);
    const y = gap + Math.floor(f / columns) * (fh * scale + gap);
    c.gray(x, y, fw, fh, minMaxScale(values), scale);
  }
  return c;
}

/**
 * Figure 7-25: each filter (upscaled) next to the result of convolving the
 * image with it (valid cross-correlation, like the model's conv layer), each
 * response min–max scaled. `image` is grayscale 0..255; it is scaled to [0, 1]
 * first, as MNIST inputs are.
 */
export function filterResponses(image: { width: number; height: number; values: Float32Array }, kernel: tf.Tensor4D,
  filters: number[], columns = 3): Canvas {
  const [fh, fw] = kernel.shape;
  const responses = tf.tidy(() => {
    const x = tf.div(tf.tensor4d(image.values, [1, image.height, image.width, 1]), 255) as tf.Tensor4D;
    const k = tf.gather(tf.slice(kernel, [0, 0, 0, 0], [fh, fw, 1, kernel.shape[3]]), filters, 3) as tf.Tensor4D;
    return tf.conv2d(x, k, 1, 'valid');
  });
  const [, oh, ow] = responses.shape;
  const resp = responses.arraySync()[0];
  responses.dispose();
  const kdata = kernel.arraySync();
  const fscale = 8;
  const gap = 12;
  const cellW = fw * fscale + gap + ow;
  const cellH = Math.max(oh, fh * fscale) + 2 * GLYPH_H + 8;
  const cols = Math.min(columns, filters.length);
  const rows = Math.ceil(filters.length / columns);
  const c = new Canvas(gap + cols * (cellW + gap), gap + rows * (cellH + gap));
  filters.forEach((f, n) => {
    const x = gap + (n % columns) * (cellW + gap);
    const y = gap + Math.floor(n / columns) * (cellH + gap);
    c.text(x, y, `FILTER ${f}`, BLACK, 2);
    const fv = new Float32Array(fh * fw);
    for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) fv[i * fw + j] = kdata[i][j][0][f];
    c.gray(x, y + 2 * GLYPH_H + 6, fw, fh, minMaxScale(fv), fscale);
    const rv = new Float32Array(oh * ow);
    for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) rv[i * ow + j] = resp[i][j][n];
    c.gray(x + fw * fscale + gap, y + 2 * GLYPH_H + 6, ow, oh, minMaxScale(rv));
  });
  return c;
}

/** Misclassified digits, each labelled "label>prediction" underneath (at most `limit`). */
export function misclassifiedGrid(pixels: Uint8Array, rows: number, cols: number,
  items: { index: number; label: number; prediction: number }[], limit = 100, columns = 10): Canvas {
  const shown = items.slice(0, limit);
  const scale = 2;
  const gap = 8;
  const cellW = Math.max(cols * scale, textWidth('0>0', 2));
  const cellH = rows * scale + 2 * GLYPH_H + 6;
  const ncols = Math.max(1, Math.min(columns, shown.length));
  const nrows = Math.max(1, Math.ceil(shown.length / columns));
  const c = new Canvas(gap + ncols * (cellW + gap), gap + nrows * (cellH + gap));
  const size = rows * cols;
  shown.forEach((m, n) => {
    const x = gap + (n % columns) * (cellW + gap);
    const y = gap + Math.floor(n / columns) * (cellH + gap);
    const img = new Float32Array(size);
    for (let i = 0; i < size; i++) img[i] = 255 - pixels[m.index * size + i]; // dark ink on white
    c.gray(x, y, cols, rows, img, scale);
    c.text(x, y + rows * scale + 4, `${m.label}>${m.prediction}`, [200, 0, 0], 2);
  });
  return c;
}
