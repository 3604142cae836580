/** Our cpu kernel set, one KernelConfig per tfjs kernel. */
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { fusedMatMulConfig } from './_FusedMatMul';
import { avgPoolConfig } from './AvgPool';
import { avgPoolGradConfig } from './AvgPoolGrad';
import { batchMatMulConfig } from './BatchMatMul';
import { addConfig, multiplyConfig, realDivConfig, subConfig } from './binary';
import { conv2DConfig } from './Conv2D';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput';
import { depthwiseConv2dNativeConfig } from './DepthwiseConv2dNative';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput';
import { fusedDepthwiseConv2DConfig } from './FusedDepthwiseConv2D';
import { fusedConv2DConfig } from './FusedConv2D';
import { maxPoolConfig } from './MaxPool';
import { maxPoolGradConfig } from './MaxPoolGrad';
import { sumConfig } from './Sum';
import { reluConfig, sqrtConfig, stepConfig } from './unary';
import { clipByValueConfig } from './ClipByValue';
import { concatConfig } from './Concat';
import { fusedBatchNormConfig } from './FusedBatchNorm';
import { meanConfig } from './Mean';
import { padV2Config } from './Pad';
import { relu6Config } from './Relu6';
import { sliceConfig } from './Slice';
import { softmaxConfig } from './Softmax';
import { splitVConfig } from './SplitV';
import { tileConfig } from './Tile';
import { greaterEqualConfig, lessEqualConfig, logicalAndConfig } from './compare';

export const cpuKernelConfigs: KernelConfig[] = [
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeConfig,
  fusedDepthwiseConv2DConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  avgPoolConfig,
  avgPoolGradConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  // The elementwise passes and the bias-gradient Sum around them (cpu only: webgl's builtins are fine).
  addConfig,
  subConfig,
  multiplyConfig,
  realDivConfig,
  reluConfig,
  stepConfig,
  sqrtConfig,
  sumConfig,
  // The layers around the convolutions of MobileNet/ResNet-style nets (kernels/core/layer_ops.ts).
  clipByValueConfig,
  relu6Config,
  fusedBatchNormConfig,
  padV2Config,
  concatConfig,
  sliceConfig,
  meanConfig,
  softmaxConfig,
  splitVConfig,
  // And what their training steps add: batch norm's gradient tiles, ReLU6's gradient compares.
  tileConfig,
  greaterEqualConfig,
  lessEqualConfig,
  logicalAndConfig,
];
