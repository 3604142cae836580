/** Writes small IDX files (optionally gzipped) for loader and CLI tests. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export function idx(dims: number[], data: Uint8Array, type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** Writes the four MNIST files with `n` train / `m` test images of size rows×cols into `dir`. */
export function writeIdxSet(dir: string, opts: { n: number; m: number; rows?: number; cols?: number; gzip?: boolean;
  pixel?: (image: number, i: number) => number; label?: (image: number) => number }): void {
  const rows = opts.rows ?? 28;
  const cols = opts.cols ?? 28;
  const pixel = opts.pixel ?? ((k, i) => (k * 31 + i) % 256);
  const label = opts.label ?? ((k) => k % 10);
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, buf: Buffer) => {
    if (opts.gzip) fs.writeFileSync(path.join(dir, `${name}.gz`), zlib.gzipSync(buf));
    else fs.writeFileSync(path.join(dir, name), buf);
  };
  for (const [prefix, count] of [['train', opts.n], ['t10k', opts.m]] as const) {
    const images = new Uint8Array(count * rows * cols);
    for (let k = 0; k < count; k++) for (let i = 0; i < rows * cols; i++) images[k * rows * cols + i] = pixel(k, i);
    const labels = Uint8Array.from({ length: count }, (_, k) => label(k));
    write(`${prefix}-images-idx3-ubyte`, idx([count, rows, cols], images));
    write(`${prefix}-labels-idx1-ubyte`, idx([count], labels));
  }
}
