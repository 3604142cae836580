// tfjs prints a banner suggesting tfjs-node (which cannot be installed here) in every test file, and
// re-announces its platform when a test loads a second copy of it; drop just those two.
const warn = console.warn.bind(console);
const NOISE = ['install our node backend', 'Platform node has already been set'];
console.warn = (...args: unknown[]) => {
  if (args.some((a) => typeof a === 'string' && NOISE.some((n) => a.includes(n)))) return;
  warn(...args);
};
// Every tensor our cpu kernels keep in WebAssembly memory starts as NaN, not as whatever the
// reused block held: a kernel that skips an element or assumes a zeroed output fails the parity tests.
import { setResidentPoison } from '../kernels/cpu/resident';

setResidentPoison(true);
