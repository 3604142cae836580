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
import { rememberBuiltin } from '../kernels/core/fallback';

/**
 * The kernels this package provides, by tfjs kernel name: the convolutions and
 * pools (cpu and webgl), and on cpu the matrix products on the same GEMM plus
 * the elementwise passes and Sum that a training step spends its time in once
 * the convolutions are fast.
 */
export const IM2COL_KERNELS = [
  'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter',
  'MaxPool', 'MaxPoolGrad', 'AvgPool', 'AvgPoolGrad', 'BatchMatMul', '_FusedMatMul',
  'Add', 'Sub', 'Multiply', 'RealDiv', 'Relu', 'Step', 'Sqrt', 'Sum',
] as const;

export type Im2colKernelName = (typeof IM2COL_KERNELS)[number];

/** Our kernel configs per backend name. */
const PROVIDED: Record<string, KernelConfig[]> = {
  cpu: cpuKernelConfigs,
  webgl: webglKernelConfigs,
};

export interface RegisterOptions {
  /** Backends to override; default: every supported backend tfjs has registered. */
  backends?: string[];
  /** Kernels to override; default: all of ours. */
  kernels?: string[];
}

export interface Registration {
  backends: string[];
  kernels: string[];
  /** Puts back exactly the configs this registration replaced. */
  restore(): void;
}

/** What was in the registry before we first replaced (kernelName, backendName), per registry key. */
const originals = new Map<string, { kernelName: string; backendName: string; config: KernelConfig | undefined }>();

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

function chooseBackends(requested: string[] | undefined): string[] {
  const supported = supportedBackends();
  if (requested === undefined) {
    return supported.filter((b) => registeredBackends().includes(b));
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

function install(config: KernelConfig): void {
  const key = keyOf(config.kernelName, config.backendName);
  const current = getKernel(config.kernelName, config.backendName);
  if (current === config) return;
  if (!originals.has(key)) originals.set(key, { kernelName: config.kernelName, backendName: config.backendName, config: current });
  if (current !== undefined) rememberBuiltin(current);
  if (current !== undefined) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(config);
}

function uninstall(kernelName: string, backendName: string): void {
  const key = keyOf(kernelName, backendName);
  const original = originals.get(key);
  if (original === undefined) return;
  originals.delete(key);
  if (getKernel(kernelName, backendName) !== undefined) unregisterKernel(kernelName, backendName);
  if (original.config !== undefined) registerKernel(original.config);
}

/**
 * Replaces tfjs's builtin kernels with ours on the given backends.
 * Registering twice is harmless; `restore()` puts back the builtins.
 */
export function registerIm2colKernels(options: RegisterOptions = {}): Registration {
  const backends = chooseBackends(options.backends);
  const kernels = chooseKernels(options.kernels);
  const installed: KernelConfig[] = [];
  for (const backend of backends) {
    for (const config of PROVIDED[backend]) {
      if (kernels.includes(config.kernelName)) {
        install(config);
        installed.push(config);
      }
    }
  }
  return {
    backends,
    kernels: [...new Set(installed.map((c) => c.kernelName))],
    restore: () => installed.forEach((c) => uninstall(c.kernelName, c.backendName)),
  };
}

/** Restores every builtin kernel this package has replaced. */
export function unregisterIm2colKernels(): void {
  for (const { kernelName, backendName } of [...originals.values()]) uninstall(kernelName, backendName);
}

/** True when our kernel is the one tfjs will run for (kernelName, backend). */
export function isIm2colKernelActive(kernelName: string, backend: string): boolean {
  const current = getKernel(kernelName, backend);
  return current !== undefined && (PROVIDED[backend] ?? []).includes(current);
}
