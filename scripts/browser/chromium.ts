/**
 * Launching Chromium for the browser pages: the binary is $CHROMIUM_PATH or
 * Debian's /usr/bin/chromium, driven by playwright-core. Playwright's own
 * browser downloads are never used: a missing binary is an error that says
 * how to install one.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Every launch: no sandbox (containers, root) and no background traffic. */
const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** WebGL2 with float32 render targets in software, GPU or not: the default, so results are the same everywhere. */
const SWIFTSHADER_ARGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

export interface ChromiumOptions {
  /** The browser binary (Chrome, Chromium or Edge); default chromiumPath(). */
  path?: string;
  /** Force SwiftShader's software WebGL (default true); false lets Chromium pick, the machine's GPU where it has one. */
  swiftshader?: boolean;
  /** A visible window instead of headless (needs a display). */
  headed?: boolean;
  /** Further flags, e.g. `--ignore-gpu-blocklist` for a GPU run. */
  extraArgs?: string[];
}

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

export function chromiumArgs(options: ChromiumOptions = {}): string[] {
  return [...BASE_ARGS, ...((options.swiftshader ?? true) ? SWIFTSHADER_ARGS : []), ...(options.extraArgs ?? [])];
}

/** Why Chromium cannot be launched here, or undefined when the binary is there. */
export function chromiumMissing(file = chromiumPath()): string | undefined {
  if (existsSync(file)) return undefined;
  return `no Chromium at ${file}: install Debian's chromium (apt-get install -y chromium), set CHROMIUM_PATH ` +
    "or name a Chrome / Chromium / Edge binary (playwright's own browser downloads are not used)";
}

export async function launchChromium(options: ChromiumOptions = {}): Promise<Browser> {
  const executablePath = options.path ?? chromiumPath();
  const missing = chromiumMissing(executablePath);
  if (missing) throw new Error(`tfjs-im2col: ${missing}`);
  // Loaded on first use (it takes half a second), and with require: in the bench's CommonJS bundle it must
  // resolve like the bundle's other externals (NODE_PATH included), which a dynamic import() would not.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  return chromium.launch({ executablePath, args: chromiumArgs(options), headless: !options.headed });
}
