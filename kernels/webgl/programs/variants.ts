/**
 * Specialised program variants, bounded.
 *
 * A program compiled with its window geometry and tensor shapes as GLSL
 * constants runs faster than the generic one that reads them from uniforms
 * (no integer division by a uniform, loops the compiler can unroll, tfjs's
 * samplers with constant strides) — but every new geometry is a new shader
 * compile, and tfjs keeps every compiled program. So each program family
 * specialises at most `MAX_VARIANTS` distinct keys (a key is exactly what
 * changes the generated code); calls past the bound run the generic variant,
 * whose shader is shared by every shape.
 */

/** Specialised variants per program family (per page: tfjs's compile cache lives as long as the page). */
export const MAX_VARIANTS = 48;

const families = new Map<string, Set<string>>();
let generic = 0;

/** Whether the call keyed `key` of `family` may use a specialised variant (and records it when new). */
export function specialise(family: string, key: string): boolean {
  let keys = families.get(family);
  if (keys === undefined) {
    keys = new Set();
    families.set(family, keys);
  }
  if (keys.has(key)) return true;
  if (keys.size >= MAX_VARIANTS) {
    generic++;
    return false;
  }
  keys.add(key);
  return true;
}

/** How many specialised variants each family has made, and how many calls fell back to a generic one. */
export function variantStats(): { families: Record<string, number>; genericCalls: number } {
  return { families: Object.fromEntries([...families].map(([f, k]) => [f, k.size])), genericCalls: generic };
}

/** Forgets every recorded variant (tests). */
export function resetVariants(): void {
  families.clear();
  generic = 0;
}
