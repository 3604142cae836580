/**
 * The parity sweep: convolutions (forward and both gradients) and pools (forward and gradient) over a grid of
 * shapes, strides and paddings, each run with our webgl kernels, tfjs's builtin webgl kernels and tfjs's builtin
 * cpu kernels on the same seeded inputs (the bench's runners, benchmarks/suite/ops.ts). Our output must match
 * both within float32 GPU rounding.
 */
import { compare, makeRunner } from '../../benchmarks/suite/ops';
import type { CaseSpec, ErrorMetrics, Op, Pad } from '../../benchmarks/suite/types';
import { tf, useBackend } from './tf';

/** Relative tolerance (max |ours − ref| ÷ max |ref|): float32 on a GPU, sums of up to a few thousand products. */
export const TOLERANCE = 1e-4;

export interface ParityRow {
  id: string; op: Op; detail: string;
  vsBuiltinWebgl?: ErrorMetrics; vsCpu?: ErrorMetrics; builtinVsCpu?: ErrorMetrics;
  error?: string; agrees: boolean;
}

let seed = 1000;

function convSpec(batch: number, h: number, w: number, c: number, f: number, outC: number, stride: number, pad: Pad, op: Op): CaseSpec {
  const xShape: [number, number, number, number] = [batch, h, w, c];
  const filterShape: [number, number, number, number] = [f, f, c, outC];
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, stride, 1, pad, undefined, false, 'channelsLast');
  const detail = `${xShape.join('×')} * ${f}×${f}×${c}→${outC}, stride ${stride}, ${typeof pad === 'number' ? `pad ${pad}` : pad}`;
  return {
    id: `conv ${detail} ${op}`, net: 'sweep', layer: 'conv', batch, op, detail, work: 0, isFlops: false, seed: seed++,
    params: { kind: 'conv', xShape, filterShape, strides: [stride, stride], dilations: [1, 1], pad, dataFormat: 'NHWC', outShape: info.outShape },
  };
}

function poolSpec(batch: number, h: number, c: number, size: number, stride: number, pad: Pad, op: Op): CaseSpec {
  const xShape: [number, number, number, number] = [batch, h, h, c];
  const info = tf.backend_util.computePool2DInfo(xShape, size, stride, 1, pad);
  const detail = `${xShape.join('×')} ${op.startsWith('Max') ? 'max' : 'avg'} ${size}×${size}/${stride}, ${pad}`;
  return {
    id: `pool ${detail} ${op}`, net: 'sweep', layer: 'pool', batch, op, detail, work: 0, isFlops: false, seed: seed++,
    params: { kind: 'pool', xShape, filterSize: [size, size], strides: [stride, stride], pad, outShape: info.outShape },
  };
}

/** The sweep's cases. Average-pool gradients are swept without padding only: there tfjs's builtins compute
 * another quantity on purpose-differing semantics (README: AvgPoolGrad over padding). */
export function sweepCases(): CaseSpec[] {
  seed = 1000;
  const specs: CaseSpec[] = [];
  const convOps: Op[] = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
  const convs: Array<[number, number, number, number, number, number, number, Pad]> = [
    [2, 28, 28, 1, 5, 30, 1, 'valid'], // SimpleConvNet conv1
    [2, 14, 14, 16, 3, 32, 1, 1], // DeepConvNet-like, pad 1
    [2, 14, 14, 32, 3, 32, 1, 2],
    [2, 9, 9, 3, 3, 8, 2, 'same'],
    [2, 10, 10, 4, 3, 8, 2, 'valid'],
    [1, 7, 7, 5, 1, 6, 1, 'valid'], // 1×1
    [3, 12, 12, 8, 5, 4, 1, 'same'],
    [1, 11, 11, 2, 4, 3, 3, 'valid'],
  ];
  for (const c of convs) for (const op of convOps) specs.push(convSpec(...c, op));
  const pools: Array<[number, number, number, number, number, Pad, Op[]]> = [
    [2, 24, 30, 2, 2, 'valid', ['MaxPool', 'MaxPoolGrad']],
    [2, 9, 4, 3, 2, 'same', ['MaxPool', 'MaxPoolGrad']],
    [2, 10, 3, 3, 1, 'valid', ['MaxPool', 'MaxPoolGrad']],
    [2, 28, 6, 2, 2, 'valid', ['AvgPool', 'AvgPoolGrad']],
    [2, 9, 4, 3, 2, 'same', ['AvgPool']],
  ];
  for (const [b, h, c, size, stride, pad, ops] of pools) for (const op of ops) specs.push(poolSpec(b, h, c, size, stride, pad, op));
  return specs;
}

async function outputOf(spec: CaseSpec): Promise<Float32Array> {
  const runner = makeRunner(tf, spec);
  try {
    const y = runner.run();
    const v = (await y.data()) as Float32Array;
    y.dispose();
    return v;
  } finally {
    runner.dispose();
  }
}

export async function runSweep(progress?: (done: number, total: number) => void): Promise<ParityRow[]> {
  const specs = sweepCases();
  const rows: ParityRow[] = [];
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    progress?.(i, specs.length);
    const row: ParityRow = { id: spec.id, op: spec.op, detail: spec.detail, agrees: false };
    try {
      await useBackend('cpu', 'builtin');
      const cpu = await outputOf(spec);
      await useBackend('webgl', 'builtin');
      const builtin = await outputOf(spec);
      await useBackend('webgl', 'ours');
      const ours = await outputOf(spec);
      row.vsBuiltinWebgl = compare(ours, builtin);
      row.vsCpu = compare(ours, cpu);
      row.builtinVsCpu = compare(builtin, cpu);
      row.agrees = row.vsBuiltinWebgl.maxRel <= TOLERANCE && row.vsCpu.maxRel <= TOLERANCE;
    } catch (e) {
      row.error = String((e as Error).message ?? e).split('\n')[0];
    }
    rows.push(row);
    await new Promise((r) => setTimeout(r, 0));
  }
  progress?.(specs.length, specs.length);
  await useBackend('webgl', 'ours');
  return rows;
}
