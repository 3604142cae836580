/**
 * Shape classes where tfjs's builtin webgl kernel measured faster than ours:
 * calls of such a class go to the builtin (builtinIfMeasuredFaster, at the
 * start of each kernel), so installing ours never makes them slower. Every entry
 * cites the bench run that measured it (benchmarks/README.md, "Shape
 * classes left to the builtin"); a class is only added from a measurement,
 * and only as wide as the cases that measured it.
 */
import { env, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { handToBuiltin, windowsLeaveInput } from '../core/fallback';
import { colWidth, ConvGeometry, convMacs } from '../core/geometry';

/**
 * The tfjs flag that turns the hand-over off: `tf.env().set(BUILTIN_CLASSES_FLAG, false)` and our webgl
 * kernels take every call (the classes were measured on SwiftShader; a real GPU may rank them otherwise).
 * The tests turn it off so that small shapes exercise our programs.
 */
export const BUILTIN_CLASSES_FLAG = 'IM2COL_WEBGL_BUILTIN_CLASSES';
env().registerFlag(BUILTIN_CLASSES_FLAG, () => true);

interface BuiltinClass {
  kernel: string;
  /** What the class is, in words (the BuiltinOnly reason names it). */
  name: string;
  applies(g: ConvGeometry): boolean;
  /** The measurement: cases, builtin vs ours median ms, ratio, run. */
  measured: string;
}

const RUN = 'bench run of 2026-11-30, SwiftShader, interleaved samples';
const PAIRED_RUNS = 'bench runs of 2026-12-01, SwiftShader, paired rounds with bootstrap intervals (benchmarks/suite/paired.ts)';
const SYNC_RUNS = 'three bench runs of 2026-11-30 timed to a synchronous read-back, SwiftShader, interleaved samples';
/**
 * Some window lies wholly in padding (no input pixel): ours writes −Infinity there, as tfjs's cpu kernel does,
 * so such pools stay ours (the builtin webgl kernel has given NaN there on float16 textures).
 */
const someWindowOnlyPadding = (g: ConvGeometry) => {
  const extentH = (g.filterH - 1) * g.dilationH + 1;
  const extentW = (g.filterW - 1) * g.dilationW + 1;
  return g.padTop >= extentH || g.padLeft >= extentW ||
    (g.outH - 1) * g.strideH - g.padTop >= g.inH || (g.outW - 1) * g.strideW - g.padLeft >= g.inW;
};
const disjointInside = (g: ConvGeometry) => g.dilationH === 1 && g.dilationW === 1 && g.strideH >= g.filterH &&
  g.strideW >= g.filterW && g.padTop === 0 && g.padLeft === 0 &&
  (g.outH - 1) * g.strideH + g.filterH <= g.inH && (g.outW - 1) * g.strideW + g.filterW <= g.inW;

export const BUILTIN_CLASSES: BuiltinClass[] = [
  {
    kernel: 'Conv2D', name: 'a convolution with one output pixel per image (a dense layer as a convolution)',
    applies: (g) => g.outH === 1 && g.outW === 1,
    measured: `LeNet C5 (5×5×16 → 120): batch 1 6.40 vs 7.00 ms (0.91×), batch 8 12.2 vs 13.4 ms (0.91×); ${RUN}`,
  },
  {
    kernel: 'Conv2DBackpropInput', name: 'a convolution gradient with a single output pixel in all',
    applies: (g) => g.batch * g.outH * g.outW === 1,
    measured: `LeNet C5 dx at batch 1: 7.30 vs 8.00 ms (0.91×; at batch 8 ours is 2.15×); ${RUN}`,
  },
  {
    kernel: 'Conv2DBackpropFilter', name: 'a convolution gradient with a single output pixel in all',
    applies: (g) => g.batch * g.outH * g.outW === 1,
    measured: `LeNet C5 dW at batch 1: 10.0 vs 11.8 ms (0.85×; the run before 0.65×; at batch 8 ours is 1.83×); ${RUN}`,
  },
  {
    kernel: 'Conv2D', name: 'a convolution with at most 49 output pixels per image and windows of ≥ 4096 values',
    applies: (g) => g.outH * g.outW <= 49 && colWidth(g) >= 4096,
    measured: `odd/b4/wide512 (7×7×512, 3×3 → 512): 1862 vs 2104 ms (0.89×; the run before also 0.89×); ${RUN}`,
  },
  {
    kernel: 'Conv2D', name: 'a convolution of fewer than 131,072 multiply-adds with windows of fewer than 16 values',
    applies: (g) => convMacs(g) < 131_072 && colWidth(g) < 16,
    measured: `DeepConvNet b1 conv1 (28×28×1, 3×3 → 16; 112,896): 2.10 vs 2.20 ms (0.95×, 15 samples), 0.95× and 0.64×; ` +
      `at batch 8 (903,168) 0.82–1.12×, left to ours; ${SYNC_RUNS}`,
  },
  {
    kernel: 'Conv2D', name: 'a convolution with at most 64 output pixels in all and windows of 128–511 values',
    applies: (g) => g.batch * g.outH * g.outW <= 64 && colWidth(g) >= 128 && colWidth(g) < 512,
    measured: `DeepConvNet b1 conv5 (8×8×32, 3×3 → 64; window 288): 2.33 vs 2.39 ms, paired 0.95× [0.91–0.99] in a full ` +
      `run, then 0.90 / 0.91 / 0.90 / 0.90× in four runs of --case DeepConvNet/b1 (30 rounds each, every 95 % interval ` +
      `below 1×); 8×8×16 → 64 (window 144) 0.87× in an earlier paired check; conv6 (window 576, tiled) 1.09–1.15×, ` +
      `conv3 (196 pixels) 0.98–0.99×, left to ours; ${PAIRED_RUNS}`,
  },
  {
    kernel: 'Conv2DBackpropFilter', name: 'a filter gradient of fewer than 131,072 multiply-adds',
    applies: (g) => convMacs(g) < 131_072,
    measured: `DeepConvNet b1 conv1 (112,896): 2.50 vs 2.90 ms (0.86×, 15 samples), 0.89× and 0.91×; LeNet b1 C1 ` +
      `(117,600): 0.88× and 0.60×; the next larger, LeNet b1 C3 (240,000), ours 1.23–1.62×; ${SYNC_RUNS}`,
  },
  {
    kernel: 'MaxPool', name: 'max pooling whose windows reach into padding (none wholly)',
    applies: (g) => windowsLeaveInput(g) && !someWindowOnlyPadding(g),
    measured: `odd/b8/maxpool3x3same (28×28×64, 3×3/2 'same'): 8.9 vs 10.0 ms (0.89×, 10 samples), 0.98× and 0.99× ` +
      `(${SYNC_RUNS}), 0.96× in the run before; AlexNet's unpadded 3×3/2 pools, ours 1.02–1.19×`,
  },
  {
    kernel: 'MaxPool', name: 'max pooling over disjoint windows of an input of at most 17,280 values',
    applies: (g) => disjointInside(g) && g.batch * g.inH * g.inW * g.inC <= 17_280,
    measured: `2×2/2 pools at batch 1, three runs each: SimpleConvNet (17,280 values) 1.00 / 0.91 / 0.97×, DeepConvNet ` +
      `pool1 (12,544) 0.95 / 0.86 / 0.97× (0.75 vs 0.73 ms), pool2 (8,192) 0.89 / 0.80 / 1.01×, pool3 (4,096) ` +
      `0.94 / 1.00 / 0.94×; DeepConvNet b8 pool3 (32,768) 1.00 / 1.00 / 1.05×, left to ours; ${SYNC_RUNS}`,
  },
  {
    kernel: 'AvgPool', name: 'average pooling over disjoint windows of an input of at most 12,800 values',
    applies: (g) => disjointInside(g) && g.batch * g.inH * g.inW * g.inC <= 12_800,
    measured: `2×2/2 pools, paired over 30–40 rounds in five runs each: LeNet b8 S4 (12,800 values) 0.94× [0.89–0.99], ` +
      `0.98× [0.93–1.04], 1.04× [1.00–1.09], 0.98× [0.93–1.04], 0.92× [0.87–0.97] (geometric mean 0.97×); b1 S4 ` +
      `(1,600) 0.95–0.97×, b1 S2 (4,704) 0.98–1.00×, each interval holding 1×; b8 S2 (37,632) 1.00–1.02×, left to ` +
      `ours; ${PAIRED_RUNS}`,
  },
  {
    kernel: 'MaxPoolGrad', name: 'max-pool gradient over disjoint windows of an input of at most 32,768 values',
    applies: (g) => disjointInside(g) && g.batch * g.inH * g.inW * g.inC <= 32_768,
    measured: `2×2/2 pools: SimpleConvNet b1 (17,280 values) 6.60 vs 7.10 ms (0.93×), DeepConvNet b1 pool1 (12,544) 0.91×, ` +
      `pool3 b1 (4,096) 0.95×, pool3 b8 (32,768) 12.1 vs 12.7 ms (0.95×), pool2 b1 (8,192) 1.03×; from 65,536 values on ` +
      `ours is 1.24–1.33×; ${RUN}`,
  },
];

/**
 * The builtin's answer to the call when its geometry falls in a class the builtin measured faster on, else
 * undefined. It is returned, not thrown (BuiltinOnly): these calls are frequent, and a throw made a handed
 * MaxPool of 8×8×64 cost 33.5–41.3 µs of JavaScript a call against the builtin's 21.0–25.0 µs, where returning
 * costs 21.0–29.3 µs (Chromium driven by Playwright, which attaches an inspector, 400 calls × 12 rounds, no
 * read-back).
 *
 * The bench measured every class on uploaded, unpacked inputs. Our pools read a packed operand (a convolution's
 * output) as it is, where tfjs unpacks it first, so a pool whose operand is packed (`readsPacked`) stays ours. On
 * packed inputs, paired against the builtin: AvgPool 1.17–2.19×, AvgPoolGrad 1.17–1.40×, and in the handed classes'
 * own shapes (SimpleConvNet b1 pool1, DeepConvNet b1 pool1, b8 pool3) MaxPool 1.40–1.73×, MaxPoolGrad 1.46–1.47×
 * (20 rounds of 4 calls).
 */
export function builtinIfMeasuredFaster(kernel: string, g: ConvGeometry, args: object, readsPacked = false): TensorInfo | undefined {
  if (readsPacked || !env().getBool(BUILTIN_CLASSES_FLAG)) return undefined;
  const c = BUILTIN_CLASSES.find((k) => k.kernel === kernel && k.applies(g));
  if (c === undefined) return undefined;
  const why = `${c.name}: tfjs's builtin measured faster (${c.measured})`;
  return handToBuiltin(kernel, 'webgl', args as Parameters<KernelFunc>[0], why) as TensorInfo;
}
