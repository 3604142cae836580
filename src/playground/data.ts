/**
 * MNIST as packed by scripts/build-playground.mjs (mnist.bin): a gzipped block of a 32-byte header
 * ("MNIST-U8", then uint32 LE: version, train count, test count, rows, cols, 0), the train and test labels,
 * then the train and test pixels (one byte each). Loaded with a progress callback and unzipped by the browser.
 */
import { mulberry32 } from '../random';
import { tf } from './tf';

export interface MnistSplit { n: number; pixels: Uint8Array; labels: Uint8Array }
export interface Mnist { rows: number; cols: number; train: MnistSplit; test: MnistSplit; downloadBytes: number }

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  // A server that sends the file with Content-Encoding: gzip has had the browser unzip it already.
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function loadMnist(url: string, progress: (loaded: number, total: number) => void): Promise<Mnist> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`MNIST: ${url} answered ${res.status}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    progress(loaded, total);
  }
  const packed = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    packed.set(c, at);
    at += c.length;
  }
  const bytes = await gunzip(packed);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== 'MNIST-U8') throw new Error(`MNIST: ${url} is not a packed MNIST file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 32);
  const [version, nTrain, nTest, rows, cols] = [0, 1, 2, 3, 4].map((i) => view.getUint32(8 + 4 * i, true));
  if (version !== 1) throw new Error(`MNIST: unknown format version ${version}`);
  const px = rows * cols;
  if (bytes.length !== 32 + (nTrain + nTest) * (px + 1)) throw new Error('MNIST: the file is truncated');
  let o = 32;
  const take = (n: number) => bytes.subarray(o, (o += n));
  const trainLabels = take(nTrain);
  const testLabels = take(nTest);
  const trainPixels = take(nTrain * px);
  const testPixels = take(nTest * px);
  return {
    rows, cols, downloadBytes: loaded,
    train: { n: nTrain, pixels: trainPixels, labels: trainLabels },
    test: { n: nTest, pixels: testPixels, labels: testLabels },
  };
}

/** Images `indices` of a split as a [n, rows, cols, 1] float tensor in [0, 1] (the book's normalize=True). */
export function imagesTensor(m: Mnist, split: MnistSplit, indices: ArrayLike<number>): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  const px = m.rows * m.cols;
  const out = new Float32Array(indices.length * px);
  for (let i = 0; i < indices.length; i++) {
    const src = split.pixels.subarray(indices[i] * px, indices[i] * px + px);
    for (let j = 0; j < px; j++) out[i * px + j] = src[j] / 255;
  }
  return tf.tensor4d(out, [indices.length, m.rows, m.cols, 1]);
}

/** One-hot labels of `indices`, [n, 10]. */
export function oneHot(split: MnistSplit, indices: ArrayLike<number>): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out = new Float32Array(indices.length * 10);
  for (let i = 0; i < indices.length; i++) out[i * 10 + split.labels[indices[i]]] = 1;
  return tf.tensor2d(out, [indices.length, 10]);
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, seed: number): Uint32Array {
  const random = mulberry32(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
