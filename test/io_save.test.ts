/**
 * saveModel replaces only model.json and weights.bin, each atomically, and never deletes or
 * overwrites anything else in (or turns a file into) the folder it is given.
 */
import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildSimpleConvNet } from '../src/models/simpleConvNet';
import { loadModel, saveModel } from '../src/models/io';
import { repoRoot } from './helpers/mnistPaths';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'io-save-test-'));
let model: tfl.LayersModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  model = buildSimpleConvNet({ seed: 1 });
});
afterAll(() => {
  model.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every file and folder under `dir` with the contents of the files, for before/after comparisons. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      out[`${e.name}/`] = '';
      for (const [k, v] of Object.entries(snapshot(p))) out[`${e.name}/${k}`] = v;
    } else out[e.name] = fs.readFileSync(p, 'utf8');
  }
  return out;
}

test('saving into a folder keeps everything else in it', async () => {
  const dir = path.join(tmp, 'mine');
  fs.mkdirSync(path.join(dir, 'photos', 'deep'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'my notes');
  fs.writeFileSync(path.join(dir, 'photos', 'deep', 'a.png'), 'not really a png');
  fs.writeFileSync(path.join(dir, 'model.json.bak'), 'a backup');
  const before = snapshot(dir);
  await saveModel(model, dir);
  await saveModel(model, dir); // and again, over the first save
  const after = snapshot(dir);
  for (const [k, v] of Object.entries(before)) expect([k, after[k]]).toEqual([k, v]);
  expect(Object.keys(after).sort()).toEqual([...Object.keys(before), 'model.json', 'weights.bin'].sort());
  (await loadModel(dir)).dispose();
});

test('each file is replaced by a rename, not rewritten in place: a hard link to the old file keeps its contents', async () => {
  const dir = path.join(tmp, 'linked');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(tmp, 'keep.json'), 'do not touch');
  fs.linkSync(path.join(tmp, 'keep.json'), path.join(dir, 'model.json'));
  await saveModel(model, dir);
  expect(fs.readFileSync(path.join(tmp, 'keep.json'), 'utf8')).toBe('do not touch');
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths).toEqual(['weights.bin']);
});

test('a failed write leaves the previous model whole and no temporary file behind', async () => {
  const dir = path.join(tmp, 'fails');
  await saveModel(model, dir);
  const before = snapshot(dir);
  // the module object itself (the `import * as` namespace only has getters onto it)
  const fsync = jest.spyOn(require('node:fs') as typeof fs, 'fsyncSync').mockImplementationOnce(() => { throw new Error('disk full (simulated)'); });
  try {
    await expect(saveModel(model, dir)).rejects.toThrow(/disk full/);
  } finally {
    fsync.mockRestore();
  }
  expect(snapshot(dir)).toEqual(before);
});

test('a path that is an existing file is refused, and the file is left alone', async () => {
  const file = path.join(tmp, 'plain.txt');
  fs.writeFileSync(file, 'plain text');
  await expect(saveModel(model, file)).rejects.toThrow(/saveModel: .*plain\.txt exists and is not a folder/);
  expect(fs.statSync(file).isFile()).toBe(true);
  expect(fs.readFileSync(file, 'utf8')).toBe('plain text');
  // a folder below a file
  await expect(saveModel(model, path.join(file, 'sub'))).rejects.toThrow(/saveModel: .*plain\.txt is not a folder/);
  expect(fs.readFileSync(file, 'utf8')).toBe('plain text');
  expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp'))).toEqual([]);
});

test('missing folders are created, level by level', async () => {
  const dir = path.join(tmp, 'a', 'b', 'c');
  await saveModel(model, dir);
  expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
});

// Node's recursive mkdirSync never returns on some /proc paths; run it in a child process so that a
// hang fails this test instead of blocking the test file.
(fs.existsSync('/proc/self') ? test : test.skip)('a folder that cannot be created (/proc/forbidden/x) fails at once', () => {
  const script = `
    require('@tensorflow/tfjs-backend-cpu');
    const { buildSimpleConvNet } = require('./src/models/simpleConvNet');
    const { saveModel } = require('./src/models/io');
    saveModel(buildSimpleConvNet({ seed: 1 }), '/proc/forbidden/x').then(
      () => console.log('saved?!'), (e) => console.log('ERROR ' + e.message));`;
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script],
    { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
  expect(r.error).toBeUndefined(); // no timeout
  expect(r.stdout).toMatch(/ERROR saveModel: cannot create folder \/proc\/forbidden/);
});
