import { mulberry32 } from '../../src/random';

/** Deterministic uniform values in [-1, 1) from a seed (mulberry32). */
export function randomValues(size: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = next() * 2 - 1;
  return out;
}
