/**
 * _FusedMatMul (tfjs-layers' Dense, tf.fused.matMul) on the cpu backend:
 * BatchMatMul through our `gemm`, then bias and activation in one pass with
 * the FusedConv2D epilogue (kernels/core/epilogue.ts), which follows tfjs's
 * Add and activation kernels exactly.
 *
 * Bias and prelu weights broadcast against the product like tfjs's Add and
 * Prelu (NumPy rules, right-aligned); an operand that would enlarge the
 * output is rejected (see `fitOperand` for the op's flattened batch). The epilogue works on 4-D shapes, so the output's axes
 * are merged where every operand broadcasts alike (any rank then fits).
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  _FusedMatMul, _FusedMatMulAttrs, _FusedMatMulInputs, TensorInfo, util,
} from '@tensorflow/tfjs-core';
import { applyEpilogue, broadcastTo, Broadcast, checkActivation } from '../core/epilogue';
import { im2colKernel } from '../core/fallback';
import { KernelInputError } from '../core/geometry';
import { matMulFloat32, planMatMul } from './BatchMatMul';
import { outputArray } from './resident';
import { float32Values } from './util';
import { cachedWeights } from './weights';

/**
 * Merges adjacent output axes where each operand (right-aligned) is either
 * broadcast on both or full on both, dropping size-1 output axes; returns the
 * merged output shape and each operand's shape on the merged axes.
 */
export function mergeAxes(outShape: number[], operands: number[][]): { shape: number[]; operandShapes: number[][] } {
  const rank = outShape.length;
  const aligned = operands.map((s) => [...new Array(rank - s.length).fill(1), ...s]);
  const shape: number[] = [];
  const operandShapes: number[][] = operands.map(() => []);
  let last = -1; // the output axis the current merged axis ended with
  for (let d = 0; d < rank; d++) {
    if (outShape[d] === 1) continue;
    const full = aligned.map((s) => s[d] !== 1);
    const canMerge = last >= 0 && aligned.every((s, i) => full[i] === (s[last] !== 1));
    if (canMerge) {
      shape[shape.length - 1] *= outShape[d];
      operandShapes.forEach((os, i) => { os[os.length - 1] *= full[i] ? outShape[d] : 1; });
    } else {
      shape.push(outShape[d]);
      operandShapes.forEach((os, i) => os.push(full[i] ? outShape[d] : 1));
    }
    last = d;
  }
  return { shape, operandShapes };
}

/**
 * The operand's shape as it lines up with the kernel's output. tfjs's fused matMul op hands the
 * kernel 3-D a and b (batch dims flattened) but bias and prelu weights in their own shapes, checked
 * against the unflattened output; so surplus leading dims are flattened into one batch axis here too
 * ([2,3,m,n] against [6,m,n]). Throws unless the result broadcasts to `outShape`.
 */
export function fitOperand(name: string, shape: number[], outShape: number[]): number[] {
  let fitted = shape;
  if (shape.length > outShape.length) {
    const surplus = shape.length - outShape.length + 1;
    fitted = [shape.slice(0, surplus).reduce((x, y) => x * y, 1), ...shape.slice(surplus)];
  }
  const ok = fitted.every((d, i) => d === 1 || d === outShape[outShape.length - fitted.length + i]);
  if (!ok) {
    throw new KernelInputError(_FusedMatMul, `${name} of shape [${shape}] does not broadcast to the output shape [${outShape}]`);
  }
  return fitted;
}

export function fusedMatMul(args: { inputs: _FusedMatMulInputs; backend: MathBackendCPU; attrs: _FusedMatMulAttrs }): TensorInfo {
  const { inputs: { a, b, bias, preluActivationWeights }, backend, attrs } = args;
  const transposeA = !!attrs.transposeA;
  const transposeB = !!attrs.transposeB;
  const activation = checkActivation(_FusedMatMul, attrs.activation, !!preluActivationWeights);
  const aValues = float32Values(_FusedMatMul, 'a', backend, a);
  const bValues = float32Values(_FusedMatMul, 'b', backend, b);
  const plan = planMatMul(_FusedMatMul, a.shape, b.shape, transposeA, transposeB);
  const operands: Array<{ name: string; t: TensorInfo; shape: number[] }> = [];
  if (bias) operands.push({ name: 'bias', t: bias, shape: fitOperand('bias', bias.shape, plan.outShape) });
  if (activation === 'prelu') {
    const alpha = preluActivationWeights!;
    operands.push({ name: 'preluActivationWeights', t: alpha, shape: fitOperand('preluActivationWeights', alpha.shape, plan.outShape) });
  }
  const merged = mergeAxes(plan.outShape, operands.map(({ shape }) => shape));
  if (merged.shape.length > 4) {
    throw new KernelInputError(_FusedMatMul, `cannot apply bias/activation over output [${plan.outShape}] ` +
      `with ${operands.map(({ name, t }) => `${name} [${t.shape}]`).join(', ')}: more than 4 independent broadcast axes`);
  }
  const pad = (s: number[]) => [...new Array(4 - s.length).fill(1), ...s];
  const shape4 = pad(merged.shape);
  const toBroadcast = (i: number): Broadcast => {
    const { name, t } = operands[i];
    return broadcastTo(_FusedMatMul, name, float32Values(_FusedMatMul, name, backend, t),
      pad(merged.operandShapes[i]), shape4, true);
  };
  const biasB = bias ? toBroadcast(0) : null;
  const alphaB = activation === 'prelu' ? toBroadcast(bias ? 1 : 0) : null;
  // Allocated after every check, so that a rejected call holds no output.
  const out = outputArray(backend, util.sizeFromShape(plan.outShape));
  // b is the dense layer's kernel in tfjs-layers: kept in WebAssembly memory across calls.
  matMulFloat32(plan, aValues, cachedWeights(backend, b, bValues), transposeA, transposeB, out);
  if (operands.length === 0 && activation === 'linear') {
    return backend.makeTensorInfo(plan.outShape, 'float32', out);
  }
  applyEpilogue(out, shape4, biasB, activation, alphaB, attrs.leakyreluAlpha ?? 0.2);
  return backend.makeTensorInfo(plan.outShape, 'float32', out);
}

export const fusedMatMulConfig = im2colKernel(_FusedMatMul, 'cpu', fusedMatMul);
