/** The bounded registry of specialised webgl program variants (kernels/webgl/programs/variants.ts), in Node. */
import { MAX_VARIANTS, resetVariants, specialise, variantStats } from '../kernels/webgl/programs/variants';

beforeEach(() => resetVariants());

test('each family specialises at most MAX_VARIANTS distinct keys; known keys stay specialised', () => {
  const granted: boolean[] = [];
  for (let i = 0; i < MAX_VARIANTS + 10; i++) granted.push(specialise('Pool-max', `shape ${i}`));
  expect(granted.filter(Boolean).length).toBe(MAX_VARIANTS);
  expect(granted.slice(MAX_VARIANTS).every((g) => !g)).toBe(true);
  // A key seen before the bound keeps its specialised program; another family has its own bound.
  expect(specialise('Pool-max', 'shape 0')).toBe(true);
  expect(specialise('Im2col', 'shape 1000')).toBe(true);
  expect(variantStats()).toEqual({ families: { 'Pool-max': MAX_VARIANTS, Im2col: 1 }, genericCalls: 10 });
});
