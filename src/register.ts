/**
 * Side-effect entry: `import 'tfjs-im2col/register'` overrides the builtins on every supported backend
 * tfjs has registered. Import it after the backend packages: before them it throws, saying which to import.
 */
import { registerIm2colKernels } from './index';

registerIm2colKernels();
