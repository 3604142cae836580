/**
 * The book's trained parameters loaded into our NHWC tfjs-layers models. The
 * package ships them in assets/book/{simple_convnet,deep_convnet} (manifest.json +
 * weights.bin, float32 little-endian, C order, NCHW layouts; provenance and
 * licence in assets/book/README.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { assetPath } from '../files';

/** The folder of the book's weights for `model` that ships with the package. */
export function bookWeightsDir(model: 'simple_convnet' | 'deep_convnet'): string {
  return assetPath('book', model);
}

export interface BookArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

interface Manifest {
  model: string;
  file: string;
  weights: { name: string; shape: number[]; dtype: string; byteOffset: number }[];
}

/** Reads a manifest.json + weights.bin folder into named arrays. */
export function readBookWeights(dir: string): Map<string, BookArray> {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) throw new Error(`book weights: ${manifestPath} not found`);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Manifest;
  const bin = fs.readFileSync(path.join(dir, manifest.file));
  const out = new Map<string, BookArray>();
  for (const spec of manifest.weights) {
    if (spec.dtype !== 'float32') throw new Error(`book weights: ${spec.name} has dtype ${spec.dtype}, expected float32`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const end = spec.byteOffset + 4 * size;
    if (end > bin.length) throw new Error(`book weights: ${spec.name} [${spec.shape}] runs past the end of ${manifest.file}`);
    const data = new Float32Array(size);
    const view = new DataView(bin.buffer, bin.byteOffset + spec.byteOffset, 4 * size);
    for (let i = 0; i < size; i++) data[i] = view.getFloat32(4 * i, true);
    out.set(spec.name, { name: spec.name, shape: spec.shape, data });
  }
  return out;
}

function get(weights: Map<string, BookArray>, name: string): BookArray {
  const w = weights.get(name);
  if (w === undefined) throw new Error(`book weights: ${name} missing`);
  return w;
}

/** Book conv filters (FN, C, FH, FW) → tfjs kernel [FH, FW, C, FN]. */
export function convFilterToHwio(w: BookArray): tf.Tensor4D {
  if (w.shape.length !== 4) throw new Error(`book weights: ${w.name} should be (FN, C, FH, FW), got [${w.shape}]`);
  return tf.tidy(() => tf.transpose(tf.tensor4d(w.data, w.shape as [number, number, number, number]), [2, 3, 1, 0]));
}

/**
 * An Affine weight whose rows index a (C, H, W) map flattened in NCHW order →
 * rows in (H, W, C) order, as a Flatten after an NHWC layer produces them.
 */
export function affineRowsNchwToNhwc(w: BookArray, c: number, h: number, wd: number): tf.Tensor2D {
  const [rows, cols] = w.shape;
  if (rows !== c * h * wd) {
    throw new Error(`book weights: ${w.name} has ${rows} rows, the model's flattened map is ${c}×${h}×${wd} = ${c * h * wd}`);
  }
  return tf.tidy(() => tf.reshape(tf.transpose(tf.tensor4d(w.data, [c, h, wd, cols]), [1, 2, 0, 3]), [rows, cols]));
}

function setLayer(model: tfl.LayersModel, layerName: string, values: tf.Tensor[]): void {
  const layer = model.getLayer(layerName);
  const current = layer.getWeights();
  if (current.length !== values.length) throw new Error(`book weights: layer ${layerName} has ${current.length} weights, got ${values.length}`);
  current.forEach((cw, i) => {
    if (cw.shape.join(',') !== values[i].shape.join(',')) {
      throw new Error(`book weights: layer ${layerName} weight ${i} is [${cw.shape}], the book's is [${values[i].shape}] after conversion`);
    }
  });
  layer.setWeights(values);
  values.forEach((v) => v.dispose());
}

/** [H, W, C] of a layer's (single) output. */
function mapShape(model: tfl.LayersModel, layerName: string): [number, number, number] {
  const shape = model.getLayer(layerName).outputShape as (number | null)[];
  return [shape[1] as number, shape[2] as number, shape[3] as number];
}

function bias(w: BookArray, scale = 1): tf.Tensor1D {
  return tf.tidy(() => tf.mul(tf.tensor1d(w.data), scale)) as tf.Tensor1D;
}

/**
 * Loads the book's ch07 `params.pkl` arrays (W1, b1, W2, b2, W3, b3) into `buildSimpleConvNet()`'s
 * model, from `dir` (default: the copy shipped with the package).
 */
export function loadBookSimpleConvNet(model: tfl.LayersModel, dir = bookWeightsDir('simple_convnet')): void {
  const w = readBookWeights(dir);
  const [ph, pw, pc] = mapShape(model, 'pool1');
  setLayer(model, 'conv1', [convFilterToHwio(get(w, 'W1')), bias(get(w, 'b1'))]);
  setLayer(model, 'affine1', [affineRowsNchwToNhwc(get(w, 'W2'), pc, ph, pw), bias(get(w, 'b2'))]);
  const w3 = get(w, 'W3');
  setLayer(model, 'affine2', [tf.tensor2d(w3.data, w3.shape as [number, number]), bias(get(w, 'b3'))]);
}

/**
 * Loads the book's ch08 `deep_convnet_params.pkl` arrays (W1..W8, b1..b8) into
 * `buildDeepConvNet()`'s model, from `dir` (default: the copy shipped with the package).
 *
 * The book's dropout multiplies by 0.5 at test time (it is not inverted), once
 * after affine1's relu and once after affine2. tfjs's dropout is the identity
 * at inference, so both factors are folded into affine2:
 * logits = 0.5·((0.5·relu(h·W7 + b7))·W8 + b8) = relu(h·W7 + b7)·(0.25·W8) + 0.5·b8.
 * The model's softmax output then equals the book's at test time.
 */
export function loadBookDeepConvNet(model: tfl.LayersModel, dir = bookWeightsDir('deep_convnet'), dropoutRate = 0.5): void {
  const w = readBookWeights(dir);
  for (let i = 1; i <= 6; i++) {
    setLayer(model, `conv${i}`, [convFilterToHwio(get(w, `W${i}`)), bias(get(w, `b${i}`))]);
  }
  const [ph, pw, pc] = mapShape(model, 'pool3');
  setLayer(model, 'affine1', [affineRowsNchwToNhwc(get(w, 'W7'), pc, ph, pw), bias(get(w, 'b7'))]);
  const keep = 1 - dropoutRate;
  const w8 = get(w, 'W8');
  setLayer(model, 'affine2', [
    tf.tidy(() => tf.mul(tf.tensor2d(w8.data, w8.shape as [number, number]), keep * keep)) as tf.Tensor2D,
    bias(get(w, 'b8'), keep),
  ]);
}
