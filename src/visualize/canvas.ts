/**
 * A small RGBA raster for the image grids (filters, filter responses, misclassified digits):
 * rectangles, grayscale images and short labels in a 5×7 bitmap font, encoded to PNG with pngjs.
 * (The training chart is drawn by vega-lite and resvg instead: see chart.ts.)
 */
import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../files';

export type Rgb = [number, number, number];

/**
 * 5×7 glyphs, one string of 5 '#'/'.' per row, for the grids' labels: "FILTER 12" and
 * "label>prediction". Other characters draw as a hollow box.
 */
const GLYPHS: Record<string, string[]> = {
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['####.', '....#', '....#', '.###.', '....#', '....#', '####.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  '>': ['#....', '.#...', '..#..', '...#.', '..#..', '.#...', '#....'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
};
const UNKNOWN = ['#####', '#...#', '#...#', '#...#', '#...#', '#...#', '#####'];

export const GLYPH_W = 5;
export const GLYPH_H = 7;

export class Canvas {
  readonly data: Uint8Array;
  constructor(readonly width: number, readonly height: number, background: Rgb = [255, 255, 255]) {
    this.data = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      this.data[4 * i] = background[0];
      this.data[4 * i + 1] = background[1];
      this.data[4 * i + 2] = background[2];
      this.data[4 * i + 3] = 255;
    }
  }

  set(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = 4 * (y * this.width + x);
    this.data[o] = c[0];
    this.data[o + 1] = c[1];
    this.data[o + 2] = c[2];
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, c);
  }

  /** Draws `text` with its top-left corner at (x, y), each font pixel `scale`×`scale`. */
  text(x: number, y: number, text: string, c: Rgb, scale = 1): void {
    let cx = x;
    for (const ch of text.toUpperCase()) {
      const g = GLYPHS[ch] ?? UNKNOWN;
      for (let j = 0; j < GLYPH_H; j++) {
        for (let i = 0; i < GLYPH_W; i++) if (g[j][i] === '#') this.fillRect(cx + i * scale, y + j * scale, scale, scale, c);
      }
      cx += (GLYPH_W + 1) * scale;
    }
  }

  /** Copies a grayscale image (values 0..255, row-major) with its top-left at (x, y), each pixel `scale`×`scale`. */
  gray(x: number, y: number, w: number, h: number, values: ArrayLike<number>, scale = 1): void {
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        const v = Math.max(0, Math.min(255, Math.round(values[j * w + i])));
        this.fillRect(x + i * scale, y + j * scale, scale, scale, [v, v, v]);
      }
    }
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    // Gray-only images (filters, responses, digits) are stored as 8-bit grayscale, a third the size.
    let gray = true;
    for (let i = 0; i < this.data.length && gray; i += 4) gray = this.data[i] === this.data[i + 1] && this.data[i] === this.data[i + 2];
    return PNG.sync.write(png, { colorType: gray ? 0 : 2, inputColorType: 6, inputHasAlpha: true });
  }

  /** Writes the PNG, replacing `file` atomically (see `writeFileAtomic`). */
  save(file: string): void {
    writeFileAtomic(file, this.toPng());
  }
}

export function textWidth(text: string, scale = 1): number {
  return text.length * (GLYPH_W + 1) * scale - scale;
}

/** Min–max scales `values` to 0..255 (a constant array becomes mid-gray). */
export function minMaxScale(values: ArrayLike<number>): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  const out = new Float32Array(values.length);
  const range = hi - lo;
  for (let i = 0; i < values.length; i++) out[i] = range > 0 ? ((values[i] - lo) / range) * 255 : 128;
  return out;
}

/** Reads a PNG as grayscale 0..255 (luma of RGB, alpha ignored). */
export function readGrayPng(file: string): { width: number; height: number; values: Float32Array } {
  let png: PNG;
  try {
    png = PNG.sync.read(fs.readFileSync(file));
  } catch (e) {
    throw new Error(`cannot read PNG ${file}: ${(e as Error).message}`);
  }
  const values = new Float32Array(png.width * png.height);
  for (let i = 0; i < values.length; i++) {
    values[i] = 0.299 * png.data[4 * i] + 0.587 * png.data[4 * i + 1] + 0.114 * png.data[4 * i + 2];
  }
  return { width: png.width, height: png.height, values };
}
