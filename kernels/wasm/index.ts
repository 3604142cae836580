/**
 * Our wasm kernel set (tfjs-backend-wasm), one KernelConfig per tfjs kernel.
 *
 * Registered: the four gradients a CNN's training step needs. tfjs-backend-wasm 4.22 has no
 * Conv2DBackpropFilter at all, its MaxPoolGrad loses gradient mass, and ours are faster than its
 * Conv2DBackpropInput and AvgPoolGrad (benchmarks/wasm_training.ts measures each against the builtin).
 * And BatchMatMul: XNNPACK's is ~14× slower with a transposed operand, which every dense layer's
 * gradient has. And the depthwise convolution's two gradients, which tfjs-backend-wasm lacks too
 * (its forward stays: XNNPACK's).
 *
 * Not registered: the forward kernels. XNNPACK's Conv2D, FusedConv2D, MaxPool and AvgPool were as
 * fast as or faster than ours in the same benchmark here (our GEMM threads cannot read the
 * non-shared wasm heap, so every operand is copied into their memory), so the builtins stay. Ours
 * are kept as candidates: the benchmark times them against XNNPACK, and test/wasm_kernels.test.ts
 * checks them, so the choice can be re-made where the numbers differ.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { avgPoolConfig } from './AvgPool';
import { avgPoolGradConfig } from './AvgPoolGrad';
import { batchMatMulConfig } from './BatchMatMul';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput';
import { conv2DConfig } from './Conv2D';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput';
import { fusedConv2DConfig } from './FusedConv2D';
import { maxPoolConfig } from './MaxPool';
import { maxPoolGradConfig } from './MaxPoolGrad';


export const wasmKernelConfigs: KernelConfig[] = [
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
  batchMatMulConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
];

/** Our forward kernels for wasm, measured against XNNPACK's but not registered (see above). */
export const wasmForwardCandidates: KernelConfig[] = [
  conv2DConfig,
  fusedConv2DConfig,
  maxPoolConfig,
  avgPoolConfig,
];
