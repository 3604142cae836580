/**
 * The builtin kernels we replaced, for the calls only they answer as tfjs does.
 *
 * Our kernels decline a call by throwing `BuiltinOnly` (kernels/core/geometry.ts)
 * from their checks, before they allocate anything; the config made by
 * `im2colKernel` then hands the same arguments to the builtin it replaced.
 * Calls declined today:
 *  - dtypes other than float32 (tfjs's maxPool and matMul let int32 through;
 *    int32 index arithmetic and bool reach the elementwise kernels and Sum);
 *  - zero-size inputs or outputs, and a dy whose shape the im2col geometry does
 *    not produce (tf.conv2dTranspose accepts some): the builtin walks the shapes
 *    it is given;
 *  - non-finite values meeting padding: im2col multiplies padding as explicit
 *    zeros, so 0 · Inf = NaN where tfjs's builtins skip padded taps, when the
 *    operand that meets the padding (a filter in the forward pass, dy in the
 *    filter gradient) holds NaN or ±Inf;
 *  - Sum over axes out of ascending order (tfjs adds in another order then).
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BuiltinOnly, ConvGeometry, KernelInputError } from './geometry';

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

/** The builtin kernel this package replaced for (kernelName, backendName), if any. */
export function builtinOf(kernelName: string, backendName: string): KernelConfig | undefined {
  return builtins.get(`${backendName}_${kernelName}`);
}

/**
 * Runs the builtin kernel this package replaced for (kernelName, backend); `why` says what only it handles. Our
 * kernels reach it by throwing BuiltinOnly (below) or, on the common path of a measured shape class, by calling it
 * (kernels/webgl/builtin_classes.ts).
 */
export function handToBuiltin(kernelName: string, backendName: string, args: Parameters<KernelFunc>[0], why: string): ReturnType<KernelFunc> {
  const config = builtinOf(kernelName, backendName);
  if (config === undefined) {
    throw new KernelInputError(kernelName, `${why}, which only the builtin kernel handles, and no builtin ` +
      `${kernelName} was registered for '${backendName}'`);
  }
  return config.kernelFunc(args);
}

/** Our kernel `ours` as a KernelConfig: the calls it declines (BuiltinOnly) go to the builtin it replaced. */
export function im2colKernel<Args>(
  kernelName: string, backendName: string, ours: (args: Args) => TensorInfo | TensorInfo[],
): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    try {
      return ours(args as unknown as Args);
    } catch (e) {
      if (e instanceof BuiltinOnly) return handToBuiltin(kernelName, backendName, args, e.why);
      throw e;
    }
  };
  return { kernelName, backendName, kernelFunc };
}
