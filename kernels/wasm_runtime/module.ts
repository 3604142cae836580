/**
 * Loading what the WebAssembly runtime needs without file I/O or static Node
 * imports: modules shipped as base64 text (scripts/build-wasm.mjs writes
 * them), and Node builtins looked up only when running in Node, so browser
 * bundles need not resolve them.
 */

/** The bytes of a base64-encoded WebAssembly module (atob works in Node ≥ 16 and browsers). */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Compiles a base64-encoded module, or null where the runtime has no WebAssembly or rejects the module. */
export function compileBase64Module(text: string): WebAssembly.Module | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = decodeBase64(text);
    return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    return null;
  }
}

interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (name: string) => unknown;
}

/** A Node builtin module, without a static import that browser bundles would have to resolve. */
export function nodeBuiltin<T>(name: string): T | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (!proc?.versions?.node) return null;
  try {
    if (typeof proc.getBuiltinModule === 'function') {
      const mod = proc.getBuiltinModule(name);
      if (mod) return mod as T;
    }
  } catch {
    // fall through to require
  }
  try {
    // An indirect require: bundlers leave it alone, CommonJS (and jest) provide it.
    const req = typeof require === 'function' ? require : null;
    return req ? (req(name) as T) : null;
  } catch {
    return null;
  }
}
