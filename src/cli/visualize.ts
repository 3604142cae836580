/**
 * `tfjs-im2col visualize`: the chapter's pictures of what a trained
 * SimpleConvNet learned, from a run folder written by `train`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadMnist, MnistDataError } from '../data/mnist';
import { loadModel } from '../models/io';
import { buildSimpleConvNet } from '../models/simpleConvNet';
import { misclassified } from '../models/train';
import { readGrayPng } from '../visualize/canvas';
import { filterGrid, filterResponses, misclassifiedGrid } from '../visualize/figures';
import { setupCpu, teardownCpu } from './backend';
import type { RunHistory } from './train';
import { assetPath, CliError, ensureWritableDir } from './util';

export interface VisualizeCliOptions {
  run?: string;
  out?: string;
  image?: string;
  filters: string;
  data?: string;
  limit: number;
  testLimit?: number;
  gemm?: string;
}

/** The newest folder under ./runs holding a saved model. */
export function latestRun(base = 'runs'): string {
  const root = path.resolve(base);
  const runs = fs.existsSync(root)
    ? fs.readdirSync(root).map((d) => path.join(root, d)).filter((d) => fs.existsSync(path.join(d, 'model', 'model.json')))
    : [];
  if (runs.length === 0) throw new CliError(`no trained run found under ${root}; run 'tfjs-im2col train' first or pass --run DIR`);
  runs.sort((a, b) => fs.statSync(path.join(b, 'model', 'model.json')).mtimeMs - fs.statSync(path.join(a, 'model', 'model.json')).mtimeMs);
  return runs[0];
}

function parseFilterList(spec: string, count: number): number[] {
  if (spec === 'all') return Array.from({ length: count }, (_, i) => i);
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (m === null) throw new CliError(`--filters: '${part}' is not a filter number or range (e.g. 0,3,5-7 or all)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = Math.min(a, b); i <= Math.max(a, b); i++) {
      if (i >= count) throw new CliError(`--filters: filter ${i} does not exist (the model has ${count}: 0..${count - 1})`);
      out.push(i);
    }
  }
  return out;
}

export async function runVisualize(opts: VisualizeCliOptions, log: (line: string) => void = console.log): Promise<number> {
  const runDir = path.resolve(opts.run ?? latestRun());
  const modelDir = path.join(runDir, 'model');
  if (!fs.existsSync(path.join(modelDir, 'model.json'))) throw new CliError(`no saved model in ${modelDir} (expected model.json + weights.bin)`);
  const imagePath = path.resolve(opts.image ?? assetPath('book', 'cactus_gray.png'));
  if (!fs.existsSync(imagePath)) throw new CliError(`image not found: ${imagePath}`);
  let image;
  try {
    image = readGrayPng(imagePath);
  } catch {
    // pngjs's own messages ("There are some read requests waitng on finished stream") say nothing useful
    throw new CliError(`--image ${imagePath} is not a readable PNG image (not a PNG file, or truncated or corrupt)`);
  }
  const outDir = ensureWritableDir(opts.out ?? runDir);
  try {
    await setupCpu('ours', opts.gemm);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  try {
    return await draw(opts, runDir, outDir, imagePath, image, log);
  } finally {
    await teardownCpu();
  }
}

async function draw(opts: VisualizeCliOptions, runDir: string, outDir: string, imagePath: string,
  image: ReturnType<typeof readGrayPng>, log: (line: string) => void): Promise<number> {
  const modelDir = path.join(runDir, 'model');

  let model;
  try {
    model = await loadModel(modelDir);
  } catch (e) {
    throw new CliError(`cannot load the model in ${modelDir}: ${(e as Error).message}`);
  }
  const kernel = model.getLayer('conv1').getWeights()[0] as tf.Tensor4D;
  const written: string[] = [];
  const save = (name: string, canvas: { save(file: string): void }) => {
    const file = path.join(outDir, name);
    canvas.save(file);
    written.push(file);
  };

  // Figure 7-24: before (rebuilt from the run's seed: same seed, same initial weights) and after.
  const historyFile = path.join(runDir, 'history.json');
  if (fs.existsSync(historyFile)) {
    const history = JSON.parse(fs.readFileSync(historyFile, 'utf8')) as RunHistory;
    const initial = buildSimpleConvNet(history.config);
    const before = initial.getLayer('conv1').getWeights()[0] as tf.Tensor4D;
    save('filters_before.png', filterGrid(before));
    initial.dispose();
  } else {
    log(`note: ${historyFile} missing, so the initial filters (rebuilt from the run's seed) are not drawn`);
  }
  save('filters_after.png', filterGrid(kernel));

  // Figure 7-25.
  const filters = parseFilterList(opts.filters, kernel.shape[3]);
  if (image.width < kernel.shape[1] || image.height < kernel.shape[0]) throw new CliError(`image ${imagePath} is smaller than the filters`);
  save('filter_responses.png', filterResponses(image, kernel, filters));

  // Misclassified test digits.
  let data;
  try {
    data = loadMnist({ dir: opts.data, trainLimit: 0, testLimit: opts.testLimit });
  } catch (e) {
    if (e instanceof MnistDataError) throw new CliError(`cannot load the test data: ${e.message}`);
    throw e;
  }
  const wrong = misclassified(model, data.test);
  save('misclassified.png', misclassifiedGrid(data.test.pixels, data.test.rows, data.test.cols, wrong, opts.limit));
  log(`${wrong.length} of ${data.test.n} test images misclassified (accuracy ${(1 - wrong.length / data.test.n).toFixed(4)}); ` +
    `the first ${Math.min(opts.limit, wrong.length)} are drawn as label>prediction`);
  model.dispose();
  for (const f of written) log(`wrote ${f}`);
  return 0;
}
