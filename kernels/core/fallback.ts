/**
 * The builtin kernels we replaced, for the calls only they answer as tfjs does.
 *
 * Convolutions: im2col multiplies padding as explicit zeros, while tfjs's
 * builtins skip padded taps, so 0 · Inf = NaN appears where tfjs has a finite
 * value. When the operand that meets the padding holds NaN or ±Inf (a filter
 * in the forward pass, dy in the filter gradient), the kernel hands the call to
 * the builtin it replaced.
 *
 * Elementwise kernels and Sum: ours handle float32; other dtypes (int32 index
 * arithmetic, bool, complex64) go to the builtin.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { ConvGeometry, KernelInputError } from './geometry';

const builtins = new Map<string, KernelConfig>();

/** Called by the registration when it replaces a builtin. */
export function rememberBuiltin(config: KernelConfig): void {
  builtins.set(`${config.backendName}_${config.kernelName}`, config);
}

/** True when some value is NaN or ±Infinity (v − v is 0 exactly for finite v; no global lookup per value). */
export function hasNonFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) return true;
  }
  return false;
}

/** True when some im2col window reaches outside the input (padding, or a rounded-up last window). */
export function windowsLeaveInput(g: ConvGeometry): boolean {
  const lastH = (g.outH - 1) * g.strideH - g.padTop + (g.filterH - 1) * g.dilationH;
  const lastW = (g.outW - 1) * g.strideW - g.padLeft + (g.filterW - 1) * g.dilationW;
  return g.padTop > 0 || g.padLeft > 0 || lastH >= g.inH || lastW >= g.inW;
}

/**
 * Runs the builtin kernel this package replaced for (kernelName, backend);
 * `why` says, for the error when there is none, what only the builtin handles.
 */
export function runBuiltin(
  kernelName: string, backendName: string, args: object,
  why = 'non-finite values meet the zero padding, which only the builtin kernel computes as tfjs does',
): ReturnType<KernelFunc> {
  const config = builtins.get(`${backendName}_${kernelName}`);
  if (config === undefined) {
    throw new KernelInputError(kernelName, `${why}, and no builtin ${kernelName} was registered for '${backendName}'`);
  }
  return config.kernelFunc(args as Parameters<KernelFunc>[0]);
}
