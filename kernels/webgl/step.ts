/**
 * Step on webgl for a packed x: the mask of ReLU's gradient (tfjs computes dy · step(x)). tfjs's builtin has
 * only an unpacked program, so a convolution's packed output was unpacked, masked and packed again for the
 * multiply: three passes, 80 ms or more of a SimpleConvNet training step on SwiftShader. Ours masks the packed
 * texels in one pass. An unpacked x, other dtypes, empty tensors and a non-finite alpha go to the builtin.
 */
import { Step, StepAttrs, TensorInfo, UnaryInputs, util } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';
import { StepPackedProgram } from './programs';
import { checkContext, run, WebGLBackend } from './util';

export function step(args: { inputs: UnaryInputs; backend: WebGLBackend; attrs: StepAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { alpha } } = args;
  if (x!.dtype !== 'float32') builtinOnly(`dtype ${x!.dtype}`);
  if (!Number.isFinite(alpha)) builtinOnly(`alpha ${alpha}`);
  if (util.sizeFromShape(x!.shape) === 0) builtinOnly('an empty input');
  if (!backend.texData.get(x!.dataId).isPacked) builtinOnly("an unpacked x (the builtin's one pass reads it as it is)");
  checkContext(backend, Step);
  return run(backend, new StepPackedProgram(x!.shape), [x!], [[alpha]]);
}

export const stepConfig = im2colKernel(Step, 'webgl', step);
