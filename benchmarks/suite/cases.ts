/**
 * The benchmark cases: every convolution and pooling layer of the chapter's
 * networks (SimpleConvNet, the chapter-8 DeepConvNet, LeNet, AlexNet), odd
 * shapes, and a whole SimpleConvNet training step. Each layer yields its
 * forward and, where tfjs defines them, both gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Arch, archMacs, archOps } from './net_arch';
import type { CaseSpec, ConvParams, NetParams, Op, Pad, PoolParams } from './types';

interface ConvLayer {
  name: string;
  /** Input height, width, channels (NHWC) for batch 1. */
  in: [number, number, number];
  filter: [number, number];
  outChannels: number;
  stride?: number;
  pad?: Pad;
  dilation?: number;
  dataFormat?: 'NHWC' | 'NCHW';
  /** A depthwise convolution: `outChannels` is then the channel multiplier. */
  depthwise?: boolean;
}

interface PoolLayer {
  name: string;
  in: [number, number, number];
  size: number;
  stride: number;
  kind: 'max' | 'avg';
  pad?: Pad;
}

type Layer = ({ type: 'conv' } & ConvLayer) | ({ type: 'pool' } & PoolLayer);

const OP_SHORT: Record<Op, string> = {
  Conv2D: 'forward', Conv2DBackpropInput: 'dx', Conv2DBackpropFilter: 'dW',
  DepthwiseConv2dNative: 'forward', DepthwiseConv2dNativeBackpropInput: 'dx', DepthwiseConv2dNativeBackpropFilter: 'dW',
  MaxPool: 'forward', MaxPoolGrad: 'backward', AvgPool: 'forward', AvgPoolGrad: 'backward', TrainStep: 'step',
  NetForward: 'forward', NetTrain: 'train',
};

export function opLabel(op: Op): string {
  return OP_SHORT[op];
}

let seedCounter = 1;

function convCases(net: string, batch: number, l: ConvLayer, ops: Op[], target?: Partial<Record<Op, number>>, isProbe = false): CaseSpec[] {
  const dataFormat = l.dataFormat ?? 'NHWC';
  const [h, w, c] = l.in;
  const xShape: [number, number, number, number] = dataFormat === 'NHWC' ? [batch, h, w, c] : [batch, c, h, w];
  const filterShape: [number, number, number, number] = [l.filter[0], l.filter[1], c, l.outChannels];
  const stride = l.stride ?? 1;
  const dilation = l.dilation ?? 1;
  const pad = l.pad ?? 'valid';
  const depthwise = l.depthwise === true;
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, stride, dilation, pad as 'same', undefined, depthwise,
    dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst');
  const params: ConvParams = {
    kind: 'conv', xShape, filterShape, strides: [stride, stride], dilations: [dilation, dilation], pad, dataFormat,
    outShape: info.outShape as [number, number, number, number], depthwise: depthwise || undefined,
  };
  // Each output value sums filterH·filterW·(inChannels, or 1 when depthwise) products.
  const depth = depthwise ? 1 : info.inChannels;
  const flops = 2 * info.batchSize * info.outHeight * info.outWidth * info.outChannels * info.filterHeight * info.filterWidth * depth;
  // Multiply-adds whose input pixel lies inside the image (padding taps cost the builtins little).
  const rowTaps = inBoundsTaps(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.dilationHeight, info.padInfo.top);
  const colTaps = inBoundsTaps(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.dilationWidth, info.padInfo.left);
  const effectiveWork = 2 * info.batchSize * rowTaps * colTaps * info.outChannels * depth;
  const padText = typeof pad === 'number' ? `pad ${pad}` : pad;
  const what = depthwise ? `depthwise ${l.filter.join('×')}×${c}, multiplier ${l.outChannels}` : `${l.filter.join('×')}×${c}→${l.outChannels}`;
  const detail = `${xShape.join('×')} ${dataFormat} * ${what}, stride ${stride}` +
    `${dilation > 1 ? `, dilation ${dilation}` : ''}, ${padText} → ${info.outShape.join('×')}`;
  // tfjs's gradients of a dilated convolution are not defined (its backprop kernels take no dilations).
  const wanted = dilation > 1 ? ops.filter((op) => op === 'Conv2D' || op === 'DepthwiseConv2dNative') : ops;
  const probeLayers = flops > PROBE_ABOVE_FLOPS && !isProbe && !depthwise
    ? [probeGeometry(l, info.outHeight, info.outWidth, 1), probeGeometry(l, info.outHeight, info.outWidth, 2)] : undefined;
  return wanted.map((op) => ({
    id: `${net}/b${batch}/${l.name}/${OP_SHORT[op]}`, net, layer: l.name, batch, op, detail, work: flops, effectiveWork, isFlops: true,
    params, seed: seedCounter++, target: target?.[op], mustRun: target?.[op] !== undefined ? true : undefined,
    probes: probeLayers
      ? probeLayers.map((pl) => withoutSeedBump(() => convCases(`${net}-probe`, 1, pl, [op], undefined, true)[0])) : undefined,
  }));
}

/** Σ over output rows of the filter rows that land inside the input (one spatial dimension). */
function inBoundsTaps(inSize: number, outSize: number, f: number, stride: number, dilation: number, padBefore: number): number {
  let taps = 0;
  for (let o = 0; o < outSize; o++) {
    for (let k = 0; k < f; k++) {
      const i = o * stride - padBefore + k * dilation;
      if (i >= 0 && i < inSize) taps++;
    }
  }
  return taps;
}

/** Convolutions above this many FLOP get probes (see CaseSpec.probes). */
const PROBE_ABOVE_FLOPS = 5e7;

function withoutSeedBump<T>(fn: () => T): T {
  const saved = seedCounter;
  try {
    return fn();
  } finally {
    seedCounter = saved;
  }
}

/** A probe does about this much work at most, so even tfjs's slowest builtin finishes it in about a second. */
const PROBE_FLOPS = 5e6;

/**
 * The layer with its input cropped so the output has at most 6×6 pixels and
 * the call about PROBE_FLOPS of work (filters, channels, strides, pads kept);
 * `scale` 2 doubles the output side (about 4× the work).
 */
function probeGeometry(l: ConvLayer, outH: number, outW: number, scale: number): ConvLayer {
  const perPixel = 2 * l.filter[0] * l.filter[1] * l.in[2] * l.outChannels;
  const side = scale * Math.max(2, Math.min(6, Math.floor(Math.sqrt(PROBE_FLOPS / perPixel))));
  const size = (out: number, inSize: number, f: number) => {
    const o = Math.min(out, side);
    const s = l.stride ?? 1;
    const eff = (f - 1) * (l.dilation ?? 1) + 1;
    const pad = l.pad ?? 'valid';
    const n = pad === 'same' ? o * s : (o - 1) * s + eff - (pad === 'valid' ? 0 : 2 * pad);
    return Math.min(inSize, Math.max(n, 1));
  };
  return { ...l, in: [size(outH, l.in[0], l.filter[0]), size(outW, l.in[1], l.filter[1]), l.in[2]] };
}

function poolCases(net: string, batch: number, l: PoolLayer): CaseSpec[] {
  const [h, w, c] = l.in;
  const xShape: [number, number, number, number] = [batch, h, w, c];
  const pad = l.pad ?? 'valid';
  const info = tf.backend_util.computePool2DInfo(xShape, l.size, l.stride, 1, pad as 'same');
  const params: PoolParams = {
    kind: 'pool', xShape, filterSize: [l.size, l.size], strides: [l.stride, l.stride], pad,
    outShape: info.outShape as [number, number, number, number],
  };
  const reads = info.batchSize * info.outHeight * info.outWidth * info.outChannels * l.size * l.size;
  const ops: Op[] = l.kind === 'max' ? ['MaxPool', 'MaxPoolGrad'] : ['AvgPool', 'AvgPoolGrad'];
  const detail = `${xShape.join('×')} ${l.kind}pool ${l.size}×${l.size}, stride ${l.stride}, ${pad} → ${info.outShape.join('×')}`;
  return ops.map((op) => ({
    id: `${net}/b${batch}/${l.name}/${OP_SHORT[op]}`, net, layer: l.name, batch, op, detail, work: reads, isFlops: false,
    params, seed: seedCounter++,
  }));
}

const ALL_CONV_OPS: Op[] = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
const DEPTHWISE_OPS: Op[] = ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'];

function netCases(net: string, batch: number, layers: Layer[], target?: Partial<Record<Op, number>>): CaseSpec[] {
  return layers.flatMap((l) => (l.type === 'conv'
    ? convCases(net, batch, l, l.depthwise ? DEPTHWISE_OPS : ALL_CONV_OPS, target) : poolCases(net, batch, l)));
}

/** SimpleConvNet (chapter 7): conv 30@5×5 on 1×28×28, relu, maxpool 2×2/2, affine 100, affine 10. */
const SIMPLE: Layer[] = [
  { type: 'conv', name: 'conv1', in: [28, 28, 1], filter: [5, 5], outChannels: 30 },
  { type: 'pool', name: 'pool1', in: [24, 24, 30], size: 2, stride: 2, kind: 'max' },
];

/** DeepConvNet (chapter 8): 3×3 convs 16,16,32,32,64,64 with pads 1,1,1,2,1,1, maxpool 2×2/2 after conv 2, 4 and 6. */
const DEEP: Layer[] = [
  { type: 'conv', name: 'conv1', in: [28, 28, 1], filter: [3, 3], outChannels: 16, pad: 1 },
  { type: 'conv', name: 'conv2', in: [28, 28, 16], filter: [3, 3], outChannels: 16, pad: 1 },
  { type: 'pool', name: 'pool1', in: [28, 28, 16], size: 2, stride: 2, kind: 'max' },
  { type: 'conv', name: 'conv3', in: [14, 14, 16], filter: [3, 3], outChannels: 32, pad: 1 },
  { type: 'conv', name: 'conv4', in: [14, 14, 32], filter: [3, 3], outChannels: 32, pad: 2 },
  { type: 'pool', name: 'pool2', in: [16, 16, 32], size: 2, stride: 2, kind: 'max' },
  { type: 'conv', name: 'conv5', in: [8, 8, 32], filter: [3, 3], outChannels: 64, pad: 1 },
  { type: 'conv', name: 'conv6', in: [8, 8, 64], filter: [3, 3], outChannels: 64, pad: 1 },
  { type: 'pool', name: 'pool3', in: [8, 8, 64], size: 2, stride: 2, kind: 'max' },
];

/** LeNet (1998): C1 6@5×5 on 32×32, S2 subsampling 2×2/2 (average), C3 16@5×5, S4, C5 120@5×5. */
const LENET: Layer[] = [
  { type: 'conv', name: 'C1', in: [32, 32, 1], filter: [5, 5], outChannels: 6 },
  { type: 'pool', name: 'S2', in: [28, 28, 6], size: 2, stride: 2, kind: 'avg' },
  { type: 'conv', name: 'C3', in: [14, 14, 6], filter: [5, 5], outChannels: 16 },
  { type: 'pool', name: 'S4', in: [10, 10, 16], size: 2, stride: 2, kind: 'avg' },
  { type: 'conv', name: 'C5', in: [5, 5, 16], filter: [5, 5], outChannels: 120 },
];

/**
 * AlexNet (2012) on 227×227×3, without the two-GPU channel grouping:
 * 96@11×11/4, pool 3/2, 256@5×5 pad 2, pool 3/2, 384@3×3, 384@3×3, 256@3×3 (pad 1), pool 3/2.
 * Local response normalisation is not a convolution or pooling kernel and is left out.
 */
const ALEXNET: Layer[] = [
  { type: 'conv', name: 'conv1', in: [227, 227, 3], filter: [11, 11], outChannels: 96, stride: 4 },
  { type: 'pool', name: 'pool1', in: [55, 55, 96], size: 3, stride: 2, kind: 'max' },
  { type: 'conv', name: 'conv2', in: [27, 27, 96], filter: [5, 5], outChannels: 256, pad: 2 },
  { type: 'pool', name: 'pool2', in: [27, 27, 256], size: 3, stride: 2, kind: 'max' },
  { type: 'conv', name: 'conv3', in: [13, 13, 256], filter: [3, 3], outChannels: 384, pad: 1 },
  { type: 'conv', name: 'conv4', in: [13, 13, 384], filter: [3, 3], outChannels: 384, pad: 1 },
  { type: 'conv', name: 'conv5', in: [13, 13, 384], filter: [3, 3], outChannels: 256, pad: 1 },
  { type: 'pool', name: 'pool5', in: [13, 13, 256], size: 3, stride: 2, kind: 'max' },
];

/**
 * MobileNet v1 (α 1.0, 224×224) depthwise layers (3×3, 'same'), named by their input; then a 5×5
 * filter (MobileNet v3) and channel multiplier 2.
 */
const DEPTHWISE: Layer[] = [
  { type: 'conv', name: '112x112x32', in: [112, 112, 32], filter: [3, 3], outChannels: 1, pad: 'same', depthwise: true },
  { type: 'conv', name: '112x112x64-s2', in: [112, 112, 64], filter: [3, 3], outChannels: 1, stride: 2, pad: 'same', depthwise: true },
  { type: 'conv', name: '56x56x128', in: [56, 56, 128], filter: [3, 3], outChannels: 1, pad: 'same', depthwise: true },
  { type: 'conv', name: '28x28x256-s2', in: [28, 28, 256], filter: [3, 3], outChannels: 1, stride: 2, pad: 'same', depthwise: true },
  { type: 'conv', name: '14x14x512', in: [14, 14, 512], filter: [3, 3], outChannels: 1, pad: 'same', depthwise: true },
  { type: 'conv', name: '7x7x1024', in: [7, 7, 1024], filter: [3, 3], outChannels: 1, pad: 'same', depthwise: true },
];
const DEPTHWISE_ODD: Layer[] = [
  { type: 'conv', name: '28x28x128-5x5', in: [28, 28, 128], filter: [5, 5], outChannels: 1, pad: 'same', depthwise: true },
  { type: 'conv', name: '56x56x32-mult2', in: [56, 56, 32], filter: [3, 3], outChannels: 2, pad: 'same', depthwise: true },
];

/** Shapes off the chapter's beaten path. */
const ODD: Array<{ batch: number; layer: Layer }> = [
  { batch: 8, layer: { type: 'conv', name: 'stride2', in: [56, 56, 64], filter: [3, 3], outChannels: 128, stride: 2, pad: 'same' } },
  { batch: 8, layer: { type: 'conv', name: 'dilation2', in: [28, 28, 32], filter: [3, 3], outChannels: 32, dilation: 2, pad: 'same' } },
  { batch: 8, layer: { type: 'conv', name: 'same5x5', in: [32, 32, 32], filter: [5, 5], outChannels: 64, pad: 'same' } },
  { batch: 8, layer: { type: 'conv', name: 'nchw', in: [28, 28, 64], filter: [3, 3], outChannels: 64, pad: 'same', dataFormat: 'NCHW' } },
  { batch: 16, layer: { type: 'conv', name: '1x1', in: [14, 14, 256], filter: [1, 1], outChannels: 256 } },
  { batch: 4, layer: { type: 'conv', name: 'wide512', in: [7, 7, 512], filter: [3, 3], outChannels: 512, pad: 'same' } },
  { batch: 8, layer: { type: 'pool', name: 'maxpool3x3same', in: [28, 28, 64], size: 3, stride: 2, kind: 'max', pad: 'same' } },
];

const TARGETS: Partial<Record<Op, number>> = { Conv2D: 4, Conv2DBackpropFilter: 100 };

function trainCase(net: 'SimpleConvNet' | 'LeNet', batch: number): CaseSpec {
  // Multiply-adds per image (outputs × window): forward + dW for the first layer (the input needs no gradient),
  // forward + dW + dx for the others.
  const [first, rest, detail] = net === 'SimpleConvNet'
    ? [24 * 24 * 30 * 25, 100 * 4320 + 10 * 100, `batch ${batch}×28×28×1, softmax cross-entropy`]
    : [28 * 28 * 6 * 25, 10 * 10 * 16 * 150 + 120 * 400 + 84 * 120 + 10 * 84,
      `batch ${batch}×28×28×1 padded to 32×32, sigmoid, 2×2 average pools with coefficient and bias, C3 fully connected, softmax cross-entropy`];
  return {
    id: `${net}/b${batch}/train/step`, net, layer: 'train', batch, op: 'TrainStep',
    detail: `forward + backward + SGD update, ${detail}`, work: 2 * batch * (2 * first + 3 * rest),
    isFlops: true, params: { kind: 'train', net, batch, learningRate: 0.01 }, seed: seedCounter++, mustRun: true,
  };
}

interface NetCase {
  net: string;
  arch: Arch;
  alpha: number;
  size: number;
  channels: number;
  classes: number;
  batches: number[];
  mode: 'forward' | 'train';
  /** Never skipped for being slow (the headline training steps). */
  mustRun?: boolean;
}

/**
 * Whole tfjs-layers networks (benchmarks/suite/net_arch.ts): `model.predict` at batch 1 and 8, and
 * one SGD step (optimizer.minimize of the cross-entropy, batch-norm in training mode).
 * Work: forward 2 FLOP per multiply-add of the convolutions and the dense layer; a training step
 * counts three times that (forward, input gradient, weight gradient).
 */
function networkCasesOf(c: NetCase): CaseSpec[] {
  const ops = archOps(c.arch, c.alpha, c.channels, c.classes);
  const macs = archMacs(ops, c.size, c.channels);
  const convs = ops.filter((o) => o.op === 'conv').length;
  const dws = ops.filter((o) => o.op === 'dw').length;
  return c.batches.map((batch) => {
    const params: NetParams = {
      kind: 'net', arch: c.arch, alpha: c.alpha, size: c.size, channels: c.channels, classes: c.classes, batch, mode: c.mode,
      learningRate: c.mode === 'train' ? 0.01 : undefined,
    };
    const what = c.mode === 'forward' ? 'model.predict' : 'one SGD step (optimizer.minimize, cross-entropy, BN in training mode)';
    return {
      id: `${c.net}/b${batch}/${c.mode === 'forward' ? 'net/forward' : 'net/train'}`, net: c.net, layer: 'net', batch,
      op: c.mode === 'forward' ? 'NetForward' : 'NetTrain',
      detail: `${what}: ${batch}×${c.size}×${c.size}×${c.channels} → ${c.classes}; ${convs} conv + ${dws} depthwise layers, ` +
        `${(macs / 1e6).toFixed(1)} M multiply-adds per image`,
      work: 2 * macs * batch * (c.mode === 'forward' ? 1 : 3), isFlops: true, params, seed: seedCounter++, mustRun: c.mustRun,
    };
  });
}

/** MobileNet v1 (alpha 0.25 and 1.0) and v2 (alpha 1.0), 224×224×3 → 1000, and a ResNet basic block. */
const NETWORKS: NetCase[] = [
  { net: 'MobileNetV1-a0.25', arch: 'mobilenet_v1', alpha: 0.25, size: 224, channels: 3, classes: 1000, batches: [1, 8], mode: 'forward', mustRun: true },
  { net: 'MobileNetV1-a1.0', arch: 'mobilenet_v1', alpha: 1, size: 224, channels: 3, classes: 1000, batches: [1, 8], mode: 'forward', mustRun: true },
  { net: 'MobileNetV2-a1.0', arch: 'mobilenet_v2', alpha: 1, size: 224, channels: 3, classes: 1000, batches: [1, 8], mode: 'forward', mustRun: true },
  // Training steps: tfjs's builtin cpu weight gradients run at ~0.01–0.05 GFLOP/s, so these are sized for
  // the builtin to finish in seconds (MobileNet v1 0.25 at 224×224 b4 would take over a minute per step).
  { net: 'MobileNetV1-a0.25-96px', arch: 'mobilenet_v1', alpha: 0.25, size: 96, channels: 3, classes: 1000, batches: [2], mode: 'train', mustRun: true },
  { net: 'ResNetBlock-56x56x64', arch: 'resblock', alpha: 1, size: 56, channels: 64, classes: 10, batches: [1, 8], mode: 'forward', mustRun: true },
  { net: 'ResNetBlock-28x28x32', arch: 'resblock', alpha: 1, size: 28, channels: 32, classes: 10, batches: [4], mode: 'train', mustRun: true },
];

export function networkCases(): CaseSpec[] {
  return NETWORKS.flatMap(networkCasesOf);
}

export function fullCases(): CaseSpec[] {
  seedCounter = 1;
  return [
    ...[1, 32, 100].flatMap((b) => netCases('SimpleConvNet', b, SIMPLE, TARGETS)),
    ...[1, 8].flatMap((b) => netCases('DeepConvNet', b, DEEP)),
    ...[1, 8].flatMap((b) => netCases('LeNet', b, LENET)),
    ...[1, 8].flatMap((b) => netCases('AlexNet', b, ALEXNET)),
    ...ODD.flatMap(({ batch, layer }) => netCases('odd', batch, [layer])),
    ...[1, 8].flatMap((b) => netCases('Depthwise', b, DEPTHWISE)),
    ...netCases('Depthwise', 1, DEPTHWISE_ODD),
    trainCase('SimpleConvNet', 100),
    trainCase('LeNet', 100),
    ...networkCases(),
  ];
}

/** A handful of small cases covering every kernel kind, an odd layout and a training step. */
export function quickCases(): CaseSpec[] {
  seedCounter = 1;
  return [
    ...netCases('SimpleConvNet', 8, SIMPLE, TARGETS),
    ...netCases('LeNet', 1, [LENET[1]]),
    ...convCases('odd', 2, { name: 'nchw-stride2', in: [14, 14, 8], filter: [3, 3], outChannels: 8, stride: 2, pad: 'same', dataFormat: 'NCHW' }, ['Conv2D']),
    trainCase('SimpleConvNet', 8),
    trainCase('LeNet', 8),
    ...networkCasesOf({ net: 'MobileNetV1-a0.25-32px', arch: 'mobilenet_v1', alpha: 0.25, size: 32, channels: 3, classes: 10, batches: [2], mode: 'forward' }),
  ];
}

export function matches(spec: CaseSpec, filter: string | undefined): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return spec.id.toLowerCase().includes(f) || spec.op.toLowerCase().includes(f) || spec.net.toLowerCase().includes(f);
}

