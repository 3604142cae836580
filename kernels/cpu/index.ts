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
import { fusedConv2DConfig } from './FusedConv2D';
import { maxPoolConfig } from './MaxPool';
import { maxPoolGradConfig } from './MaxPoolGrad';
import { sumConfig } from './Sum';
import { reluConfig, sqrtConfig, stepConfig } from './unary';

export const cpuKernelConfigs: KernelConfig[] = [
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
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
];
