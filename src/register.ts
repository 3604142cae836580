/** Side-effect entry: `import 'tfjs-im2col/register'` overrides the builtins on every supported backend. */
import { registerIm2colKernels } from './registration';

registerIm2colKernels();
