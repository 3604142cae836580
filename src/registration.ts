/**
 * Swapping tfjs's builtin convolution and pooling kernels for ours, and back.
 *
 * tfjs looks a kernel up in its global registry (by kernel name and backend
 * name) every time an op runs, so replacing the registry entry is all it takes
 * for tf.conv2d, tf.grad and tfjs-layers models to run on our kernels.
 */
import { engine, getKernel, KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { cpuKernelConfigs } from '../kernels/cpu';
import { webglKernelConfigs } from '../kernels/webgl';
import { wasmKernelConfigs } from '../kernels/wasm';
import { rememberBuiltin } from '../kernels/core/fallback';
import { show } from '../kernels/core/show';

/**
 * The kernels this package provides, by tfjs kernel name: the convolutions and
 * pools (cpu and webgl; on wasm the gradients and the forward kernels where ours are faster), and on cpu the matrix products on the same GEMM plus
 * the elementwise passes and Sum that a training step spends its time in once
 * the convolutions are fast.
 */
export const IM2COL_KERNELS = [
  'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter',
  'MaxPool', 'MaxPoolGrad', 'AvgPool', 'AvgPoolGrad', 'BatchMatMul', '_FusedMatMul',
  'Add', 'Sub', 'Multiply', 'RealDiv', 'Relu', 'Step', 'Sqrt', 'Sum',
  'ClipByValue', 'Relu6', 'FusedBatchNorm', 'PadV2', 'Concat', 'Slice', 'Mean', 'Softmax', 'SplitV',
  'Tile', 'GreaterEqual', 'LessEqual', 'LogicalAnd',
  'DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter',
] as const;

export type Im2colKernelName = (typeof IM2COL_KERNELS)[number];

/** Our kernel configs per backend name. */
const PROVIDED: Record<string, KernelConfig[]> = {
  cpu: cpuKernelConfigs,
  webgl: webglKernelConfigs,
  wasm: wasmKernelConfigs,
};

/**
 * Kernels a backend's package does not have at all, which ours add rather than replace:
 * tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter (tfjs issue #8474) and no depthwise gradient.
 */
const MISSING_BUILTINS: Record<string, string[]> = {
  wasm: ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'],
};

export interface RegisterOptions {
  /** Backends to override (a name or a list); default: every supported backend tfjs has registered. */
  backends?: string | string[];
  /** Kernels to override (a name or a list); default: all of ours. */
  kernels?: string | string[];
}

export interface Registration {
  backends: string[];
  kernels: string[];
  /**
   * Releases this registration's (kernel, backend) pairs, once: a pair's builtin comes back when no
   * live registration covers it any more (and only if tfjs still runs ours for it).
   */
  restore(): void;
}

/** The npm package whose import registers a backend's builtin kernels. */
const BACKEND_PACKAGES: Record<string, string> = {
  cpu: '@tensorflow/tfjs-backend-cpu',
  webgl: '@tensorflow/tfjs-backend-webgl',
  wasm: '@tensorflow/tfjs-backend-wasm',
};

const OPTION_KEYS = ['backends', 'kernels'];

/**
 * A (kernel, backend) pair we have replaced: our config, the builtin it replaced (undefined where the
 * backend has none: MISSING_BUILTINS), and how many live registrations cover it.
 */
interface Installed {
  ours: KernelConfig;
  builtin: KernelConfig | undefined;
  count: number;
}

/** Replaced pairs, by tfjs's registry key. */
const installed = new Map<string, Installed>();
/** Registrations whose restore() has not run yet (unregisterIm2colKernels empties it). */
const live = new Set<object>();

function keyOf(kernelName: string, backendName: string): string {
  return `${backendName}_${kernelName}`;
}

/** Backends we have kernels for. */
export function supportedBackends(): string[] {
  return Object.keys(PROVIDED).filter((b) => PROVIDED[b].length > 0);
}

/** Kernel names we provide on `backend`. */
export function providedKernels(backend: string): string[] {
  return (PROVIDED[backend] ?? []).map((c) => c.kernelName);
}

function allProvidedKernels(): string[] {
  return [...new Set(supportedBackends().flatMap(providedKernels))];
}

function registeredBackends(): string[] {
  return Object.keys(engine().registryFactory);
}

/** null/undefined as {}; anything but a plain options object is an error. */
function checkOptions(options: unknown): RegisterOptions {
  if (options === null || options === undefined) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`registerIm2colKernels: options must be an object {backends?, kernels?}, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new TypeError(`registerIm2colKernels: unknown option '${key}'; valid options: ${OPTION_KEYS.join(', ')}`);
    }
  }
  return options as RegisterOptions;
}

/** A name or a list of names as a list (undefined stays undefined). */
function nameList(value: unknown, what: 'backend' | 'kernel'): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw new TypeError(`registerIm2colKernels: ${what}s must be a ${what} name or an array of them, got ${show(value)}`);
}

function chooseBackends(requested: string[] | undefined): string[] {
  const supported = supportedBackends();
  if (requested === undefined) {
    const chosen = supported.filter((b) => registeredBackends().includes(b));
    if (chosen.length === 0) {
      // The browser/Node backends first; wasm, which users opt into, after them.
      const main = supported.filter((b) => b !== 'wasm');
      const also = supported.filter((b) => b === 'wasm').map((b) => ` (for ${b}: '${BACKEND_PACKAGES[b]}')`).join('');
      throw new Error(`tfjs-im2col: no supported tfjs backend is registered yet (${main.join(', ')}): import ` +
        `${main.map((b) => `'${BACKEND_PACKAGES[b]}'`).join(' or ')} before registering${also}`);
    }
    return chosen;
  }
  for (const b of requested) {
    if (!supported.includes(b)) {
      throw new Error(`tfjs-im2col: unknown backend '${b}'; valid backends: ${supported.join(', ')}`);
    }
  }
  return [...new Set(requested)];
}

function chooseKernels(requested: string[] | undefined): string[] {
  const valid = allProvidedKernels();
  if (requested === undefined) return valid;
  for (const k of requested) {
    if (!valid.includes(k)) {
      throw new Error(`tfjs-im2col: unknown kernel '${k}'; valid kernels: ${valid.join(', ')}`);
    }
  }
  return [...new Set(requested)];
}

/**
 * Throws unless tfjs holds a kernel for every pair we would replace but have not yet (its builtin).
 * A kernel the backend's package lacks (MISSING_BUILTINS) needs no builtin, but its backend must be
 * registered: some other of the backend's kernels must be there (its package is imported).
 */
function checkBuiltinsRegistered(configs: KernelConfig[]): void {
  for (const { kernelName, backendName } of configs) {
    if (installed.has(keyOf(kernelName, backendName))) continue;
    const missingOk = (MISSING_BUILTINS[backendName] ?? []).includes(kernelName) &&
      registeredBackends().includes(backendName) &&
      PROVIDED[backendName].some((c) => c.kernelName !== kernelName && getKernel(c.kernelName, backendName) !== undefined);
    if (!missingOk && getKernel(kernelName, backendName) === undefined) {
      throw new Error(`tfjs-im2col: the '${backendName}' backend's kernels are not registered yet (no ${kernelName}): ` +
        `import '${BACKEND_PACKAGES[backendName]}' before registering`);
    }
  }
}

/** Swaps tfjs's current config for ours (if it is not ours already). */
function swapIn(config: KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName) === config) return;
  if (getKernel(config.kernelName, config.backendName) !== undefined) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(config);
}

/** Adds one live registration to the pair of `config`, replacing the builtin on the first. */
function acquire(config: KernelConfig): void {
  const key = keyOf(config.kernelName, config.backendName);
  const entry = installed.get(key);
  if (entry !== undefined) {
    entry.count++;
  } else {
    const builtin = getKernel(config.kernelName, config.backendName);
    if (builtin !== undefined) rememberBuiltin(builtin);
    installed.set(key, { ours: config, builtin, count: 1 });
  }
  swapIn(config);
}

/** Puts the builtin back where tfjs still runs ours (someone else's replacement stays); removes ours where there was none. */
function putBack({ ours, builtin }: Installed): void {
  if (getKernel(ours.kernelName, ours.backendName) !== ours) return;
  unregisterKernel(ours.kernelName, ours.backendName);
  if (builtin !== undefined) registerKernel(builtin);
}

/** Removes one live registration from the pair of `config`; the last one puts the builtin back. */
function release(config: KernelConfig): void {
  const key = keyOf(config.kernelName, config.backendName);
  const entry = installed.get(key);
  if (entry === undefined || --entry.count > 0) return;
  installed.delete(key);
  putBack(entry);
}

/**
 * Replaces tfjs's builtin kernels with ours on the given backends. Registrations are counted per
 * (kernel, backend): ours stay until every registration covering a pair has been restored.
 */
export function registerIm2colKernels(options?: RegisterOptions | null): Registration {
  const { backends: backendOption, kernels: kernelOption } = checkOptions(options);
  const backends = chooseBackends(nameList(backendOption, 'backend'));
  const kernels = chooseKernels(nameList(kernelOption, 'kernel'));
  const configs = backends.flatMap((b) => PROVIDED[b].filter((c) => kernels.includes(c.kernelName)));
  checkBuiltinsRegistered(configs);
  configs.forEach(acquire);
  const handle: Registration = {
    backends,
    kernels: [...new Set(configs.map((c) => c.kernelName))],
    restore: () => {
      if (live.delete(handle)) configs.forEach(release);
    },
  };
  live.add(handle);
  return handle;
}

/** Restores every builtin kernel this package has replaced; every earlier registration's restore() becomes a no-op. */
export function unregisterIm2colKernels(): void {
  installed.forEach(putBack);
  installed.clear();
  live.clear();
}

/** True when our kernel is the one tfjs will run for (kernelName, backend). */
export function isIm2colKernelActive(kernelName: string, backend: string): boolean {
  const current = getKernel(kernelName, backend);
  return current !== undefined && (PROVIDED[backend] ?? []).includes(current);
}
