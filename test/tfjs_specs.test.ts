/**
 * tfjs-core's own op specs (the jasmine suites tfjs's backends run against
 * themselves) against our kernels: on cpu in a Node child process, on webgl
 * in headless Chromium. Every spec passes except the deliberate differences
 * listed in test/specs/differences.ts, which must fail exactly as listed, and
 * each of our kernels must have computed some calls itself (not only handed
 * them to the builtin).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { cpuKernelConfigs } from '../kernels/cpu';
import { webglKernelConfigs } from '../kernels/webgl';
import { wasmKernelConfigs } from '../kernels/wasm';
import { launchChromium } from '../scripts/browser/chromium';
import { findRepoRoot } from '../scripts/browser/library';
import { bundleSpecs, SPEC_FILES } from './specs/bundle';
import { DELIBERATE_DIFFERENCES, WASM_BUILTIN_FAILURES } from './specs/differences';
import type { SpecReport, SpecResult } from './specs/runtime';

const root = findRepoRoot(__dirname);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tfjs-im2col-specs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the specs for a Node backend (cpu, or wasm: tfjs-backend-wasm single-threaded) in a child process. */
async function runNode(backend: 'cpu' | 'wasm'): Promise<SpecReport> {
  const bundle = path.join(dir, `specs-${backend}.js`);
  const out = path.join(dir, `report-${backend}.json`);
  await bundleSpecs(root, backend, bundle);
  await promisify(execFile)(process.execPath, [bundle, out], { cwd: root, maxBuffer: 64 << 20 });
  return JSON.parse(readFileSync(out, 'utf8'));
}

const runCpu = () => runNode('cpu');
const runWasm = () => runNode('wasm');

async function runWebgl(): Promise<SpecReport> {
  const bundle = path.join(dir, 'specs-webgl.js');
  await bundleSpecs(root, 'webgl', bundle);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto('about:blank');
    await page.addScriptTag({ path: bundle });
    const report = await page.evaluate(() => (globalThis as unknown as { runSpecs(): Promise<SpecReport> }).runSpecs());
    report.globalErrors.push(...pageErrors);
    return report;
  } finally {
    await browser.close();
  }
}

/** The spec's suite and own name, without the test environment tfjs puts between them. */
function matches(result: SpecResult, suite: string, spec: string): boolean {
  return result.name.startsWith(`${suite} `) && result.name.endsWith(` ${spec}`);
}

describe.each([
  ['cpu', runCpu, cpuKernelConfigs],
  ['webgl', runWebgl, webglKernelConfigs],
  ['wasm', runWasm, wasmKernelConfigs],
] as const)('tfjs-core op specs on %s with our kernels', (backend, runSpecs, ours) => {
  let report: SpecReport;
  const differences = DELIBERATE_DIFFERENCES.filter((d) => (d.backends as string[]).includes(backend));
  const isDifference = (r: SpecResult) => differences.some((d) => matches(r, d.suite, d.spec));
  // Failures of the wasm builtins we do not replace (test/specs/differences.ts): the spec's only message must match.
  const builtinFailures = backend === 'wasm' ? WASM_BUILTIN_FAILURES : [];
  const ownName = (r: SpecResult, suite: string) =>
    r.name.startsWith(`${suite} `) ? r.name.replace(/^.*? \{[^}]*\} /, '') : undefined;
  const builtinFailure = (r: SpecResult) => builtinFailures.find((f) => {
    const own = ownName(r, f.suite);
    return own !== undefined && f.spec.test(own) && r.messages.length === 1 && f.failure.test(r.messages[0]);
  });

  beforeAll(async () => {
    report = await runSpecs();
    const counts = report.specs.reduce<Record<string, number>>((c, s) => ({ ...c, [s.status]: (c[s.status] ?? 0) + 1 }), {});
    console.log(`tfjs specs on ${backend} (${SPEC_FILES[backend].length} files): ${JSON.stringify(counts)}`);
  }, 600_000);

  it('ran the spec files without errors outside the specs', () => {
    expect(report.globalErrors).toEqual([]);
    // A spec file that failed to load would register no specs: there are hundreds.
    expect(report.specs.length).toBeGreaterThan({ cpu: 500, webgl: 250, wasm: 250 }[backend]);
  });

  it('passes every spec but the deliberate differences', () => {
    const unexpected = report.specs
      .filter((r) => r.status !== 'passed' && !isDifference(r) && builtinFailure(r) === undefined)
      .map((r) => `${r.name} [${r.status}]: ${r.messages.join(' | ')}`);
    expect(unexpected).toEqual([]);
  });

  it('fails each deliberate difference exactly as documented', () => {
    for (const d of differences) {
      const found = report.specs.filter((r) => matches(r, d.suite, d.spec));
      expect([d.spec, found.length]).toEqual([d.spec, 1]);
      expect([d.spec, found[0].status]).toEqual([d.spec, 'failed']);
      expect(found[0].messages).toHaveLength(1);
      expect(found[0].messages[0]).toMatch(d.failure);
    }
  });

  if (backend === 'wasm') {
    it("fails each listed failure of the wasm builtins we do not replace, as often as listed", () => {
      for (const f of builtinFailures) {
        const found = report.specs.filter((r) => r.status === 'failed' && builtinFailure(r) === f);
        expect([f.reason, found.length]).toEqual([f.reason, f.count]);
      }
    });
  }

  it('ran each of our kernels, not only the builtins they hand calls to', () => {
    const computedByUs = Object.fromEntries(ours.map((c) => {
      const calls = report.calls[c.kernelName] ?? { ours: 0, delegated: 0 };
      return [c.kernelName, calls.ours - calls.delegated];
    }));
    const idle = Object.entries(computedByUs).filter(([, n]) => !(n > 0)).map(([k]) => k);
    console.log(`${backend} calls computed by ours: ${JSON.stringify(computedByUs)}`);
    expect(idle).toEqual([]);
  });
});
