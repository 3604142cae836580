/**
 * The benchmark's whole networks as plain layer lists (no tfjs here: the case list uses them to count
 * work, benchmarks/suite/networks.ts turns them into tfjs-layers models), written from the papers' tables:
 *
 *  - MobileNet v1 (Howard et al. 2017, table 1): conv 3×3/2 32, then 13 depthwise-separable blocks
 *    (depthwise 3×3 + BN + ReLU6, pointwise 1×1 + BN + ReLU6) with widths 64, 128, 128, 256, 256, 512 ×6,
 *    1024, 1024 and strides 1,2,1,2,1,2,1,1,1,1,1,2,1 (the last as in Keras' application: the table's s2
 *    would leave 4×4 before the 7×7 pool); global average pooling, dense 1000, softmax. Widths × alpha.
 *  - MobileNet v2 (Sandler et al. 2018, table 2): conv 3×3/2 32; bottlenecks (t, c, n, s) = (1,16,1,1),
 *    (6,24,2,2), (6,32,3,2), (6,64,4,2), (6,96,3,1), (6,160,3,2), (6,320,1,1) — expand 1×1 + BN + ReLU6
 *    (when t > 1), depthwise 3×3 + BN + ReLU6, project 1×1 + BN (linear), identity add when the stride is 1
 *    and the widths match; conv 1×1 1280 + BN + ReLU6, global average pooling, dense 1000, softmax.
 *    Widths × alpha rounded to multiples of 8 (the last conv stays 1280 for alpha ≤ 1).
 *  - A ResNet basic block (He et al. 2016, fig. 2): conv 3×3 + BN + ReLU, conv 3×3 + BN, identity add,
 *    ReLU; then global average pooling, dense, softmax (so that it can be trained on its own).
 * Every convolution is 'same' padded and has no bias (batch normalisation follows).
 */

export type Act = 'relu6' | 'relu' | null;

export type ArchOp =
  /** Convolution (no bias) + batch normalisation + activation. */
  | { op: 'conv'; name: string; filters: number; kernel: number; stride: number; act: Act }
  /** Depthwise 3×3 convolution (no bias) + batch normalisation + activation. */
  | { op: 'dw'; name: string; stride: number; act: Act }
  /** Remember the current tensor as the shortcut of the next `add`. */
  | { op: 'mark' }
  /** Current tensor + the marked one, then the activation. */
  | { op: 'add'; name: string; act: Act }
  /** Global average pooling, dense `classes`, softmax. */
  | { op: 'head'; classes: number };

export type Arch = 'mobilenet_v1' | 'mobilenet_v2' | 'resblock';

export function mobilenetV1(alpha: number, classes: number): ArchOp[] {
  const width = (c: number) => Math.max(8, Math.round(c * alpha));
  const ops: ArchOp[] = [{ op: 'conv', name: 'conv1', filters: width(32), kernel: 3, stride: 2, act: 'relu6' }];
  const blocks: Array<[number, number]> = [
    [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
    [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
  ];
  blocks.forEach(([c, s], i) => {
    ops.push({ op: 'dw', name: `dw${i + 1}`, stride: s, act: 'relu6' });
    ops.push({ op: 'conv', name: `pw${i + 1}`, filters: width(c), kernel: 1, stride: 1, act: 'relu6' });
  });
  ops.push({ op: 'head', classes });
  return ops;
}

/** Keras' rounding of a width to a multiple of 8, never more than 10 % down. */
function divisible(v: number, by = 8): number {
  const r = Math.max(by, Math.floor((v + by / 2) / by) * by);
  return r < 0.9 * v ? r + by : r;
}

export function mobilenetV2(alpha: number, classes: number): ArchOp[] {
  const first = divisible(32 * alpha);
  const ops: ArchOp[] = [{ op: 'conv', name: 'conv1', filters: first, kernel: 3, stride: 2, act: 'relu6' }];
  const table: Array<[number, number, number, number]> = [
    [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
  ];
  let channels = first;
  let block = 0;
  for (const [t, c, n, s] of table) {
    const out = divisible(c * alpha);
    for (let i = 0; i < n; i++) {
      const name = `b${++block}`;
      const stride = i === 0 ? s : 1;
      const residual = stride === 1 && channels === out;
      if (residual) ops.push({ op: 'mark' });
      if (t !== 1) ops.push({ op: 'conv', name: `${name}_expand`, filters: channels * t, kernel: 1, stride: 1, act: 'relu6' });
      ops.push({ op: 'dw', name: `${name}_dw`, stride, act: 'relu6' });
      ops.push({ op: 'conv', name: `${name}_project`, filters: out, kernel: 1, stride: 1, act: null });
      if (residual) ops.push({ op: 'add', name: `${name}_add`, act: null });
      channels = out;
    }
  }
  ops.push({ op: 'conv', name: 'conv_last', filters: alpha > 1 ? divisible(1280 * alpha) : 1280, kernel: 1, stride: 1, act: 'relu6' });
  ops.push({ op: 'head', classes });
  return ops;
}

/** `channels` is the input's (the block keeps it). */
export function resBlock(channels: number, classes: number): ArchOp[] {
  return [
    { op: 'mark' },
    { op: 'conv', name: 'conv1', filters: channels, kernel: 3, stride: 1, act: 'relu' },
    { op: 'conv', name: 'conv2', filters: channels, kernel: 3, stride: 1, act: null },
    { op: 'add', name: 'add', act: 'relu' },
    { op: 'head', classes },
  ];
}

export function archOps(arch: Arch, alpha: number, channels: number, classes: number): ArchOp[] {
  if (arch === 'mobilenet_v1') return mobilenetV1(alpha, classes);
  if (arch === 'mobilenet_v2') return mobilenetV2(alpha, classes);
  return resBlock(channels, classes);
}

/** Multiply-adds of one image through the convolutions, depthwise convolutions and the dense layer. */
export function archMacs(ops: ArchOp[], size: number, channels: number): number {
  let h = size;
  let w = size;
  let c = channels;
  let macs = 0;
  for (const o of ops) {
    if (o.op === 'conv') {
      h = Math.ceil(h / o.stride);
      w = Math.ceil(w / o.stride);
      macs += h * w * o.filters * o.kernel * o.kernel * c;
      c = o.filters;
    } else if (o.op === 'dw') {
      h = Math.ceil(h / o.stride);
      w = Math.ceil(w / o.stride);
      macs += h * w * c * 9;
    } else if (o.op === 'head') {
      macs += c * o.classes;
    }
  }
  return macs;
}
