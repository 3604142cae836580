/**
 * A small RGBA raster with lines, rectangles and a 5×7 bitmap font, encoded to
 * PNG with pngjs. Enough for the CLI's plots and image grids, no native code.
 */
import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../files';

export type Rgb = [number, number, number];

/** 5×7 glyphs, one string of 5 '#'/'.' per row. Unknown characters draw as a hollow box. */
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
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  ',': ['.....', '.....', '.....', '.....', '.##..', '..#..', '.#...'],
  ':': ['.....', '.##..', '.##..', '.....', '.##..', '.##..', '.....'],
  '%': ['##...', '##..#', '...#.', '..#..', '.#...', '#..##', '...##'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  '>': ['#....', '.#...', '..#..', '...#.', '..#..', '.#...', '#....'],
  '/': ['.....', '....#', '...#.', '..#..', '.#...', '#....', '.....'],
  '(': ['...#.', '..#..', '.#...', '.#...', '.#...', '..#..', '...#.'],
  ')': ['.#...', '..#..', '...#.', '...#.', '...#.', '..#..', '.#...'],
  '=': ['.....', '.....', '#####', '.....', '#####', '.....', '.....'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  B: ['####.', '#...#', '#...#', '####.', '#...#', '#...#', '####.'],
  C: ['.###.', '#...#', '#....', '#....', '#....', '#...#', '.###.'],
  D: ['####.', '#...#', '#...#', '#...#', '#...#', '#...#', '####.'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  G: ['.###.', '#...#', '#....', '#.###', '#...#', '#...#', '.####'],
  H: ['#...#', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  J: ['..###', '...#.', '...#.', '...#.', '...#.', '#..#.', '.##..'],
  K: ['#...#', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  N: ['#...#', '#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#'],
  O: ['.###.', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  Q: ['.###.', '#...#', '#...#', '#...#', '#.#.#', '#..#.', '.##.#'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  U: ['#...#', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  W: ['#...#', '#...#', '#...#', '#.#.#', '#.#.#', '#.#.#', '.#.#.'],
  X: ['#...#', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '#...#'],
  Y: ['#...#', '#...#', '.#.#.', '..#..', '..#..', '..#..', '..#..'],
  Z: ['#####', '....#', '...#.', '..#..', '.#...', '#....', '#####'],
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

  /** A line `thickness` pixels wide; `dash` > 0 draws dashes of that length. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1, dash = 0): void {
    const len = Math.hypot(x1 - x0, y1 - y0);
    const n = Math.max(1, Math.ceil(len * 2));
    const r = (thickness - 1) / 2;
    for (let s = 0; s <= n; s++) {
      const t = s / n;
      if (dash > 0 && Math.floor((t * len) / dash) % 2 === 1) continue;
      const x = x0 + (x1 - x0) * t;
      const y = y0 + (y1 - y0) * t;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) this.set(x + dx, y + dy, c);
    }
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

  /** Same, rotated 90° counter-clockwise (reads bottom to top); (x, y) is the bottom-left corner. */
  textVertical(x: number, y: number, text: string, c: Rgb, scale = 1): void {
    let cy = y;
    for (const ch of text.toUpperCase()) {
      const g = GLYPHS[ch] ?? UNKNOWN;
      for (let j = 0; j < GLYPH_H; j++) {
        for (let i = 0; i < GLYPH_W; i++) if (g[j][i] === '#') this.fillRect(x + j * scale, cy - (i + 1) * scale, scale, scale, c);
      }
      cy -= (GLYPH_W + 1) * scale;
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
