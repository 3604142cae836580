/**
 * What the CLI's commands write: only their own files, into folders they create level by level;
 * bad output paths and unreadable images get a clear message at once.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './helpers/cli';
import { repoRoot } from './helpers/mnistPaths';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-out-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cli = runCli;

const tiny = ['--train-limit', '100', '--test-limit', '50', '--eval-samples', '50', '--no-progress', '--batch-size', '50',
  '--epochs', '1', '--steps-per-epoch', '1', '--seed', '3'];

/** Puts a user's own files into `dir` (also into the folder `model/` that train writes into). */
function plantUserFiles(dir: string): void {
  fs.mkdirSync(path.join(dir, 'model', 'old'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'photos'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
  fs.writeFileSync(path.join(dir, 'photos', 'cat.png'), 'mine too');
  fs.writeFileSync(path.join(dir, 'model', 'README'), 'about my model');
  fs.writeFileSync(path.join(dir, 'model', 'old', 'model.json'), '{}');
}

function expectUserFiles(dir: string): void {
  expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  expect(fs.readFileSync(path.join(dir, 'photos', 'cat.png'), 'utf8')).toBe('mine too');
  expect(fs.readFileSync(path.join(dir, 'model', 'README'), 'utf8')).toBe('about my model');
  expect(fs.readFileSync(path.join(dir, 'model', 'old', 'model.json'), 'utf8')).toBe('{}');
}

test('train --out into a folder with the user\'s files keeps them, and visualize --out too', async () => {
  const out = path.join(tmp, 'run');
  plantUserFiles(out);
  const r = await cli(['train', ...tiny, '--out', out]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expectUserFiles(out);
  expect(fs.readdirSync(out).sort()).toEqual(['accuracy.png', 'history.json', 'model', 'notes.txt', 'photos']);
  expect(fs.readdirSync(path.join(out, 'model')).sort()).toEqual(['README', 'model.json', 'old', 'weights.bin']);

  // train again into the same folder: its own files are replaced, the user's stay
  expect((await cli(['train', ...tiny, '--out', out])).code).toBe(0);
  expectUserFiles(out);

  const pictures = path.join(tmp, 'pictures');
  plantUserFiles(pictures);
  const v = await cli(['visualize', '--run', out, '--out', pictures, '--test-limit', '50']);
  expect(v.code).toBe(0);
  expectUserFiles(pictures);
  expect(fs.readdirSync(pictures).filter((f) => f.endsWith('.png')).sort())
    .toEqual(['filter_responses.png', 'filters_after.png', 'filters_before.png', 'misclassified.png']);
  expect(fs.readdirSync(pictures).concat(fs.readdirSync(out)).filter((f) => f.includes('.tmp') || f.startsWith('.'))).toEqual([]);
});

test('an output path that is a file is refused and the file is left alone', async () => {
  const file = path.join(tmp, 'plain.txt');
  fs.writeFileSync(file, 'plain');
  for (const args of [['train', ...tiny, '--out', file], ['visualize', '--run', path.join(tmp, 'run'), '--out', file]]) {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot write to output folder .*plain\.txt: .*plain\.txt exists and is not a folder/);
    expect(fs.readFileSync(file, 'utf8')).toBe('plain');
  }
});

test.each([['train'], ['visualize']])('%s --out \'\' is refused (it would write into the current folder)', async (command) => {
  const cwd = process.cwd();
  const scratch = fs.mkdtempSync(path.join(tmp, 'cwd-'));
  process.chdir(scratch); // where a regression would write
  try {
    const r = await cli([command, ...(command === 'train' ? tiny : []), '--out', '']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/option '--out <dir>' argument '' is invalid/);
  } finally {
    process.chdir(cwd);
  }
  expect(fs.readdirSync(scratch)).toEqual([]);
});

test('visualize --image with a corrupt PNG names the file and says it is not a readable PNG', async () => {
  const bad = path.join(tmp, 'broken.png');
  fs.writeFileSync(bad, fs.readFileSync(path.join(repoRoot, 'assets', 'book', 'cactus_gray.png')).subarray(0, 200));
  const r = await cli(['visualize', '--run', path.join(tmp, 'run'), '--out', path.join(tmp, 'pics2'), '--image', bad]);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/--image .*broken\.png is not a readable PNG image/);
  expect(r.err).not.toMatch(/read requests|stream/); // pngjs's own wording stays out of it
});

// The built CLI in a child process: Node's recursive mkdirSync never returns on /proc paths, so a
// hang must fail the test (timeout) rather than block the test file.
(fs.existsSync('/proc/self') ? test : test.skip)('train --out /proc/forbidden/x fails at once with a clear message', () => {
  const cliPath = path.join(repoRoot, 'dist', 'cli.cjs');
  expect(fs.existsSync(cliPath)).toBe(true); // built by npm ci / npm run build
  const r = spawnSync(process.execPath, [cliPath, 'train', ...tiny, '--out', '/proc/forbidden/x'],
    { encoding: 'utf8', timeout: 30_000 });
  expect(r.error).toBeUndefined();
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/cannot write to output folder \/proc\/forbidden\/x: .*cannot create folder \/proc\/forbidden/);
});
