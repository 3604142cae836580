/**
 * The book's trained SimpleConvNet (ch07 params.pkl, shipped in assets/book/simple_convnet as manifest.json +
 * weights.bin: float32 little-endian, NCHW layouts) loaded into `buildSimpleConvNet()`'s NHWC model in the
 * browser — the conversions of src/models/bookWeights.ts (which reads files with node:fs) done on fetched bytes.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { buildSimpleConvNet } from '../models/simpleConvNet';
import { tf } from './tf';

interface Manifest { file: string; weights: { name: string; shape: number[]; dtype: string; byteOffset: number }[] }

export async function fetchBookArrays(dir: string): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const manifestRes = await fetch(`${dir}/manifest.json`);
  if (!manifestRes.ok) throw new Error(`book weights: ${dir}/manifest.json answered ${manifestRes.status}`);
  const manifest = (await manifestRes.json()) as Manifest;
  const binRes = await fetch(`${dir}/${manifest.file}`);
  if (!binRes.ok) throw new Error(`book weights: ${dir}/${manifest.file} answered ${binRes.status}`);
  const bin = new DataView(await binRes.arrayBuffer());
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const w of manifest.weights) {
    if (w.dtype !== 'float32') throw new Error(`book weights: ${w.name} is ${w.dtype}, expected float32`);
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (w.byteOffset + 4 * size > bin.byteLength) throw new Error(`book weights: ${w.name} runs past the end of ${manifest.file}`);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = bin.getFloat32(w.byteOffset + 4 * i, true);
    out.set(w.name, { shape: w.shape, data });
  }
  return out;
}

/** The book's SimpleConvNet as a tfjs-layers model (softmax output), weights converted to NHWC. */
export async function loadBookSimpleConvNet(dir = 'book/simple_convnet'): Promise<any> {
  const w = await fetchBookArrays(dir);
  const get = (name: string) => {
    const a = w.get(name);
    if (!a) throw new Error(`book weights: ${name} missing`);
    return a;
  };
  const model = buildSimpleConvNet();
  const [, ph, pw, pc] = model.getLayer('pool1').outputShape as number[];
  const W1 = get('W1'); // (FN, C, FH, FW) → [FH, FW, C, FN]
  const W2 = get('W2'); // rows in (C, H, W) order → (H, W, C), as Flatten after NHWC gives
  const W3 = get('W3');
  const set = (layer: string, values: any[]) => {
    model.getLayer(layer).setWeights(values);
    tf.dispose(values);
  };
  set('conv1', [tf.tidy(() => tf.transpose(tf.tensor4d(W1.data, W1.shape), [2, 3, 1, 0])), tf.tensor1d(get('b1').data)]);
  set('affine1', [
    tf.tidy(() => tf.reshape(tf.transpose(tf.tensor4d(W2.data, [pc, ph, pw, W2.shape[1]]), [1, 2, 0, 3]), [W2.shape[0], W2.shape[1]])),
    tf.tensor1d(get('b2').data),
  ]);
  set('affine2', [tf.tensor2d(W3.data, W3.shape), tf.tensor1d(get('b3').data)]);
  return model;
}
