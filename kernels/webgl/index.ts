/**
 * The webgl kernel set (issue 3). Filled in by the WebGL work; the
 * registration API picks up whatever this list holds.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';

export const webglKernelConfigs: KernelConfig[] = [];
