/**
 * Figure 7-24 (the first layer's filters, one small grey image each, dark = large weight as the book's gray_r)
 * and figure 7-25 (those filters applied to an image: each response map drawn the same way).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { tf } from './tf';

/** Draws a [fh, fw, 1, n] kernel as a grid of n tiles, each normalised to its own range. */
export function drawFilters(canvas: HTMLCanvasElement, kernel: Float32Array, shape: number[]): void {
  const [fh, fw, cin, n] = shape;
  const cols = Math.min(n, 10);
  const rows = Math.ceil(n / cols);
  const cell = 8;
  const gap = 2;
  const scale = Math.max(1, Math.floor(Math.min(500 / (cols * (fw * cell + gap)), 1)));
  const tileW = fw * cell;
  const tileH = fh * cell;
  canvas.width = cols * (tileW + gap * 4) * scale;
  canvas.height = rows * (tileH + gap * 4) * scale;
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  for (let f = 0; f < n; f++) {
    let lo = Infinity;
    let hi = -Infinity;
    const at = (r: number, c: number) => kernel[((r * fw + c) * cin + 0) * n + f]; // first input channel
    for (let r = 0; r < fh; r++) for (let c = 0; c < fw; c++) {
      lo = Math.min(lo, at(r, c));
      hi = Math.max(hi, at(r, c));
    }
    const x0 = (f % cols) * (tileW + gap * 4) + gap * 2;
    const y0 = Math.floor(f / cols) * (tileH + gap * 4) + gap * 2;
    for (let r = 0; r < fh; r++) for (let c = 0; c < fw; c++) {
      const t = hi > lo ? (at(r, c) - lo) / (hi - lo) : 0.5;
      const v = Math.round(255 * (1 - t)); // gray_r
      g.fillStyle = `rgb(${v},${v},${v})`;
      g.fillRect(x0 + c * cell, y0 + r * cell, cell, cell);
    }
  }
}

/** Grey levels in [0, 255] of an image (scaled so its longer side is at most `maxSide`). */
export function grayscaleOf(source: CanvasImageSource & { width: number; height: number }, maxSide = 200): { w: number; h: number; data: Float32Array } {
  const s = Math.min(1, maxSide / Math.max(source.width, source.height));
  const w = Math.max(8, Math.round(source.width * s));
  const h = Math.max(8, Math.round(source.height * s));
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const g = c.getContext('2d')!;
  g.drawImage(source, 0, 0, w, h);
  const px = g.getImageData(0, 0, w, h).data;
  const data = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) data[i] = 0.299 * px[4 * i] + 0.587 * px[4 * i + 1] + 0.114 * px[4 * i + 2];
  return { w, h, data };
}

/** The image and its responses to the first `count` filters (conv, stride 1, no padding, no bias), as in figure 7-25. */
export async function drawResponses(canvas: HTMLCanvasElement, image: { w: number; h: number; data: Float32Array }, kernel: Float32Array, shape: number[], count = 8): Promise<void> {
  const n = Math.min(count, shape[3]);
  const out = tf.tidy(() => {
    const x = tf.tensor4d(image.data, [1, image.h, image.w, 1]);
    const k = tf.slice(tf.tensor4d(kernel, shape), [0, 0, 0, 0], [shape[0], shape[1], 1, n]);
    return tf.conv2d(x, k, 1, 'valid');
  });
  const [, oh, ow] = out.shape as number[];
  const values = (await out.data()) as Float32Array;
  out.dispose();
  const cols = 4;
  const tiles = n + 1;
  const tileW = Math.max(image.w, ow);
  const tileH = Math.max(image.h, oh) + 14;
  canvas.width = cols * (tileW + 6);
  canvas.height = Math.ceil(tiles / cols) * (tileH + 6);
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.font = '11px system-ui, sans-serif';
  const put = (slot: number, w: number, h: number, pixel: (i: number) => number, label: string) => {
    const img = g.createImageData(w, h);
    for (let i = 0; i < w * h; i++) {
      const v = pixel(i);
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
      img.data[4 * i + 3] = 255;
    }
    const x0 = (slot % cols) * (tileW + 6);
    const y0 = Math.floor(slot / cols) * (tileH + 6);
    g.putImageData(img, x0, y0 + 14);
    g.fillStyle = '#1d2330';
    g.fillText(label, x0, y0 + 10);
  };
  put(0, image.w, image.h, (i) => image.data[i], 'input');
  for (let f = 0; f < n; f++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < oh * ow; i++) {
      const v = values[i * n + f];
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    put(f + 1, ow, oh, (i) => Math.round(255 * (1 - (hi > lo ? (values[i * n + f] - lo) / (hi - lo) : 0.5))), `filter ${f + 1}`);
  }
}
