/**
 * esbuild runs for the browser pages: the library's script-tag bundle (the
 * options in ./library.ts, the same as dist/tfjs-im2col.min.js) and a page
 * script (tfjs from the page's global `tf`, exactly as the library gets it).
 */
import { build } from 'esbuild';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { libraryIifeOptions, tfGlobalPlugin } from './library';

/** Builds the script-tag bundle into `outfile`, with the options of dist/tfjs-im2col.min.js. */
export async function buildLibraryIife(root: string, outfile: string): Promise<void> {
  await build({ ...libraryIifeOptions(root, outfile), logLevel: 'error' });
}

export interface LibraryIife {
  /** Absolute path of the bundle. */
  file: string;
  /** dist/ (built after every source change) or a fresh build in a temporary folder. */
  source: 'dist' | 'temp-build';
  /** Removes the temporary build, if there is one. */
  dispose(): void;
}

function newestTsMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestTsMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * dist/tfjs-im2col.min.js when it is newer than every source file under src/ and kernels/; otherwise the
 * same bundle built into a temporary folder, so a page never runs a stale library and never races `npm run build`.
 */
export async function currentLibraryIife(root: string): Promise<LibraryIife> {
  const dist = path.join(root, 'dist', 'tfjs-im2col.min.js');
  const sourcesNewest = Math.max(newestTsMtime(path.join(root, 'src')), newestTsMtime(path.join(root, 'kernels')));
  if (existsSync(dist) && statSync(dist).mtimeMs >= sourcesNewest) return { file: dist, source: 'dist', dispose: () => {} };
  const dir = mkdtempSync(path.join(tmpdir(), 'tfjs-im2col-iife-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const file = path.join(dir, 'tfjs-im2col.min.js');
    await buildLibraryIife(root, file);
    return { file, source: 'temp-build', dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** Bundles a page's TypeScript entry (`entry` relative to `root`) into an IIFE defining `globalName`; returns the code. */
export async function buildPageScript(root: string, entry: string, globalName: string): Promise<string> {
  const result = await build({
    absWorkingDir: root, entryPoints: [path.join(root, entry)], bundle: true, write: false, format: 'iife', globalName,
    platform: 'browser', target: 'es2020', logLevel: 'error', plugins: [tfGlobalPlugin],
  });
  return result.outputFiles[0].text;
}
