/** Side-effect entry: `import 'tfjs-im2col/register'` overrides the builtins on every supported backend. */
import { registerIm2colKernels } from './index';

registerIm2colKernels();
