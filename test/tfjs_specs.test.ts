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
import { findRepoRoot, launchChromium } from './browser/harness';
import { bundleSpecs, SPEC_FILES } from './specs/bundle';
import { DELIBERATE_DIFFERENCES } from './specs/differences';
import type { SpecReport, SpecResult } from './specs/runtime';

const root = findRepoRoot();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tfjs-im2col-specs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runCpu(): Promise<SpecReport> {
  const bundle = path.join(dir, 'specs-cpu.js');
  const out = path.join(dir, 'report-cpu.json');
  await bundleSpecs(root, 'cpu', bundle);
  await promisify(execFile)(process.execPath, [bundle, out], { cwd: root, maxBuffer: 64 << 20 });
  return JSON.parse(readFileSync(out, 'utf8'));
}

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
] as const)('tfjs-core op specs on %s with our kernels', (backend, runSpecs, ours) => {
  let report: SpecReport;
  const differences = DELIBERATE_DIFFERENCES.filter((d) => (d.backends as string[]).includes(backend));
  const isDifference = (r: SpecResult) => differences.some((d) => matches(r, d.suite, d.spec));

  beforeAll(async () => {
    report = await runSpecs();
    const counts = report.specs.reduce<Record<string, number>>((c, s) => ({ ...c, [s.status]: (c[s.status] ?? 0) + 1 }), {});
    console.log(`tfjs specs on ${backend} (${SPEC_FILES[backend].length} files): ${JSON.stringify(counts)}`);
  }, 600_000);

  it('ran the spec files without errors outside the specs', () => {
    expect(report.globalErrors).toEqual([]);
    // A spec file that failed to load would register no specs: there are hundreds.
    expect(report.specs.length).toBeGreaterThan(backend === 'cpu' ? 500 : 250);
  });

  it('passes every spec but the deliberate differences', () => {
    const unexpected = report.specs
      .filter((r) => r.status !== 'passed' && !isDifference(r))
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

  it('ran each of our kernels, not only the builtins they hand calls to', () => {
    const computedByUs = Object.fromEntries(ours.map((c) => {
      const calls = report.calls[c.kernelName] ?? { ours: 0, delegated: 0 };
      return [c.kernelName, calls.ours - calls.delegated];
    }));
    const idle = Object.entries(computedByUs).filter(([, n]) => !(n > 0)).map(([k]) => k);
    expect(idle).toEqual([]);
  });
});
