/**
 * Ctrl-C twice quits the built CLI at once (exit code 130), even while it is busy evaluating,
 * and leaves no half-written file behind.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './helpers/mnistPaths';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-sigint-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a second SIGINT during the final evaluation exits with 130 within a few seconds', async () => {
  const cliPath = path.join(repoRoot, 'dist', 'cli.cjs');
  expect(fs.existsSync(cliPath)).toBe(true); // built by npm ci / npm run build
  const out = path.join(tmp, 'run');
  // One step, then the final accuracy over all 10,000 test images: several seconds of work.
  const child = spawn(process.execPath, [cliPath, 'train', '--train-limit', '100', '--steps-per-epoch', '1',
    '--eval-samples', '50', '--no-progress', '--seed', '1', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let signalledAt = 0;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (signalledAt === 0 && /=== epoch:1,/.test(stdout)) {
      // the epoch line is printed just before the final evaluation starts
      signalledAt = Date.now();
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGINT'), 200);
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const { code, signal } = await exited;
  clearTimeout(killer);
  const seconds = (Date.now() - signalledAt) / 1000;
  expect(signalledAt).toBeGreaterThan(0);
  expect({ code, signal }).toEqual({ code: 130, signal: null });
  expect(seconds).toBeLessThan(4); // the old code finished the whole evaluation first (8 s or more)
  expect(stdout).toMatch(/interrupted again: exiting without saving/);
  expect(stdout).not.toMatch(/Final Test Accuracy/);
  // nothing half-written: either no model at all or a complete one, and no temporary files
  const files = fs.existsSync(out) ? fs.readdirSync(out, { recursive: true }).map(String) : [];
  expect(files.filter((f) => f.includes('.tmp'))).toEqual([]);
  if (files.includes(path.join('model', 'model.json'))) expect(files).toContain(path.join('model', 'weights.bin'));
});
