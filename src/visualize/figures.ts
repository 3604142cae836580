/**
 * The chapter's figures as PNGs: train/test accuracy per epoch (the book's
 * train_convnet.py plot), first-layer filters (figure 7-24), filters applied
 * to an image (figure 7-25) and misclassified test digits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Canvas, GLYPH_H, minMaxScale, Rgb, textWidth } from './canvas';

const BLACK: Rgb = [0, 0, 0];
const GRID: Rgb = [225, 225, 225];
const TRAIN_COLOR: Rgb = [31, 119, 180];
const TEST_COLOR: Rgb = [255, 127, 14];

export interface AccuracyPoint {
  epoch: number;
  trainAcc: number;
  testAcc: number;
}

function niceStep(range: number, targetTicks: number): number {
  const raw = range / targetTicks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/** Train (solid) and test (dashed) accuracy against epoch, with axes, ticks, labels and a legend. */
export function accuracyPlot(points: AccuracyPoint[], title = 'SimpleConvNet on MNIST', xLabel = 'EPOCHS'): Canvas {
  const W = 720;
  const H = 480;
  const left = 100;
  const right = 24;
  const top = 44;
  const bottom = 64;
  const c = new Canvas(W, H);
  const pw = W - left - right;
  const ph = H - top - bottom;
  const accs = points.flatMap((p) => [p.trainAcc, p.testAcc]).filter((v) => Number.isFinite(v));
  const minAcc = accs.length > 0 ? Math.min(...accs) : 0;
  // The book plots 0..1; zoom in when every value is high so the curves stay readable.
  let lo = Math.max(0, Math.floor((minAcc - 0.02) * 20) / 20);
  if (1 - lo < 0.05) lo = 0.95;
  const hi = 1;
  const maxEpoch = Math.max(1, ...points.map((p) => p.epoch));
  const x0 = points.length > 1 ? 1 : 0;
  const xOf = (e: number) => left + ((e - x0) / Math.max(1e-9, maxEpoch - x0)) * pw;
  const yOf = (a: number) => top + (1 - (a - lo) / (hi - lo)) * ph;

  const yStep = niceStep(hi - lo, 6);
  let decimals = 0;
  while (decimals < 4 && Math.abs(Math.round(yStep * 10 ** decimals) - yStep * 10 ** decimals) > 1e-6) decimals++;
  for (let v = Math.ceil(lo / yStep - 1e-9) * yStep; v <= hi + 1e-9; v += yStep) {
    const y = yOf(v);
    c.line(left, y, left + pw, y, GRID);
    c.line(left - 5, y, left, y, BLACK);
    const label = v.toFixed(decimals);
    c.text(left - 9 - textWidth(label, 2), y - GLYPH_H, label, BLACK, 2);
  }
  const xStep = Math.max(1, Math.ceil(niceStep(maxEpoch - x0, 10)));
  for (let e = x0 === 0 ? 0 : 1; e <= maxEpoch; e += xStep) {
    const x = xOf(e);
    c.line(x, top, x, top + ph, GRID);
    c.line(x, top + ph, x, top + ph + 5, BLACK);
    const label = String(e);
    c.text(x - textWidth(label, 2) / 2, top + ph + 10, label, BLACK, 2);
  }
  c.line(left, top, left, top + ph, BLACK, 2);
  c.line(left, top + ph, left + pw, top + ph, BLACK, 2);
  c.text(left + pw / 2 - textWidth(xLabel, 2) / 2, H - 24, xLabel, BLACK, 2);
  c.textVertical(10, top + ph / 2 + textWidth('ACCURACY', 2) / 2, 'ACCURACY', BLACK, 2);
  c.text(left + pw / 2 - textWidth(title, 2) / 2, 14, title, BLACK, 2);

  const series: [string, Rgb, number, (p: AccuracyPoint) => number][] = [
    ['TRAIN', TRAIN_COLOR, 0, (p) => p.trainAcc],
    ['TEST', TEST_COLOR, 8, (p) => p.testAcc],
  ];
  for (const [, color, dash, get] of series) {
    const pts = points.filter((p) => Number.isFinite(get(p)));
    for (let i = 1; i < pts.length; i++) c.line(xOf(pts[i - 1].epoch), yOf(get(pts[i - 1])), xOf(pts[i].epoch), yOf(get(pts[i])), color, 3, dash);
    for (const p of pts) c.fillRect(xOf(p.epoch) - 3, yOf(get(p)) - 3, 7, 7, color);
  }
  // Legend, bottom right inside the plot.
  const lx = left + pw - 150;
  let ly = top + ph - 60;
  c.fillRect(lx - 10, ly - 10, 150, 60, [255, 255, 255]);
  for (const [name, color, dash] of series) {
    c.line(lx, ly + 7, lx + 40, ly + 7, color, 3, dash);
    c.text(lx + 50, ly, name, BLACK, 2);
    ly += 26;
  }
  return c;
}

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
