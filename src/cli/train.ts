/** `tfjs-im2col train`: SimpleConvNet on MNIST with the book's recipe. */
import * as path from 'node:path';
import * as cliProgress from 'cli-progress';
import { loadMnist, MnistData, MnistDataError } from '../data/mnist';
import { saveModel } from '../models/io';
import { buildSimpleConvNet, SimpleConvNetConfig } from '../models/simpleConvNet';
import { compileForTraining, EpochRecord, trainModel, TrainResult } from '../models/train';
import { accuracyPlot } from '../visualize/figures';
import { KernelChoice, setupCpu, teardownCpu } from './backend';
import { writeFileAtomic } from '../files';
import { CliError, ensureWritableDir, freshRunDir } from './util';

/** Without --epochs, `train` runs one full epoch (about a minute on 2 cores with our kernels). */
export const DEFAULT_EPOCHS = 1;

export interface TrainCliOptions {
  epochs?: number;
  stepsPerEpoch?: number;
  batchSize: number;
  lr: number;
  seed?: number;
  out?: string;
  kernels: KernelChoice;
  gemm?: string;
  data?: string;
  trainLimit?: number;
  testLimit?: number;
  evalSamples: number;
  progress: boolean;
}

export interface RunHistory {
  model: 'SimpleConvNet';
  config: SimpleConvNetConfig;
  seed: number;
  kernels: KernelChoice;
  engine: string;
  optimizer: { name: 'adam'; learningRate: number };
  batchSize: number;
  epochsRequested: number;
  stepsPerEpoch: number | null;
  trainImages: number;
  testImages: number;
  evalSamples: number;
  data: string;
  epochs: EpochRecord[];
  finalTestAcc: number | null;
  interrupted: boolean;
  totalSeconds: number;
  startedAt: string;
  node: string;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

export async function runTrain(opts: TrainCliOptions, log: (line: string) => void = console.log): Promise<number> {
  const started = Date.now();
  const defaultRun = opts.epochs === undefined;
  const epochs = opts.epochs ?? DEFAULT_EPOCHS;
  const stepsPerEpoch = opts.stepsPerEpoch;
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);

  let data: MnistData;
  try {
    data = loadMnist({ dir: opts.data, trainLimit: opts.trainLimit, testLimit: opts.testLimit });
  } catch (e) {
    if (e instanceof MnistDataError) throw new CliError(`cannot load the training data: ${e.message}`);
    throw e;
  }
  const outDir = ensureWritableDir(opts.out ?? freshRunDir());
  if (data.train.n === 0) throw new CliError('no training images (check --train-limit)');
  if (data.test.n === 0) throw new CliError('no test images (check --test-limit)');
  if (data.train.rows !== 28 || data.train.cols !== 28) {
    log(`note: images are ${data.train.rows}×${data.train.cols}; SimpleConvNet is built for that size`);
  }

  let engine: string;
  try {
    engine = await setupCpu(opts.kernels, opts.gemm);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const config: SimpleConvNetConfig = { inputDim: [1, data.train.rows, data.train.cols], seed };
  const model = buildSimpleConvNet(config);
  compileForTraining(model, opts.lr);

  const fullSteps = Math.ceil(data.train.n / opts.batchSize);
  const steps = Math.min(fullSteps, stepsPerEpoch ?? fullSteps);
  log(`SimpleConvNet on ${data.train.n} training / ${data.test.n} test images from ${data.dir}`);
  log(`kernels: ${engine}; ` +
    `Adam lr ${opts.lr}, batch ${opts.batchSize}, ${epochs} epoch(s) of ${steps} step(s)` +
    `${defaultRun ? ' (the default; --epochs 20 is the book\'s full recipe)' : ''}; seed ${seed}`);
  log(`output: ${outDir}`);

  const bar = opts.progress
    ? new cliProgress.SingleBar({
      format: 'epoch {epoch} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {ips} img/s | ETA {eta_formatted}',
      hideCursor: true, etaBuffer: 20, clearOnComplete: false, barsize: 24,
    }, cliProgress.Presets.shades_classic)
    : undefined;
  // Ctrl-C once: stop after the current step, evaluate and save. Twice: quit at once. Training and
  // evaluation give the event loop a turn between steps and batches, so this runs within one; every
  // file is written atomically, so quitting mid-save leaves no half-written file.
  let stop = false;
  const onSigint = () => {
    if (stop) {
      bar?.stop();
      log('\ninterrupted again: exiting without saving');
      process.exit(130);
    }
    stop = true;
    log('\ninterrupted: finishing the current step, then saving (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSigint);
  try {
    let result: TrainResult;
    try {
      result = await trainModel(model, data, {
        epochs, batchSize: opts.batchSize, learningRate: opts.lr, seed, stepsPerEpoch, evalSamples: opts.evalSamples,
        shouldStop: () => stop,
        onEpochStart: (epoch, n) => bar?.start(n, 0, { epoch: `${epoch}/${epochs}`, loss: '-', acc: '-', ips: '-' }),
        onStep: (s) => bar?.update(s.step, {
          epoch: `${s.epoch}/${epochs}`, loss: s.meanLoss.toFixed(4), acc: s.meanAcc.toFixed(4), ips: s.imagesPerSec.toFixed(0),
        }),
        onEpochEnd: (r) => {
          bar?.stop();
          log(`=== epoch:${r.epoch}, train acc:${r.trainAcc.toFixed(4)}, test acc:${r.testAcc.toFixed(4)} === ` +
            `(loss ${r.loss.toFixed(4)}, ${r.steps} steps in ${fmtTime(r.trainSeconds)}, ${r.imagesPerSec.toFixed(0)} img/s)`);
        },
      });
    } finally {
      bar?.stop();
      await teardownCpu();
    }

    if (!result.interrupted) {
      log('=============== Final Test Accuracy ===============');
      log(`test acc:${result.finalTestAcc.toFixed(4)} (${Math.round(result.finalTestAcc * data.test.n)} / ${data.test.n})`);
    }
    const history: RunHistory = {
      model: 'SimpleConvNet', config, seed, kernels: opts.kernels, engine,
      optimizer: { name: 'adam', learningRate: opts.lr }, batchSize: opts.batchSize,
      epochsRequested: epochs, stepsPerEpoch: stepsPerEpoch ?? null,
      trainImages: data.train.n, testImages: data.test.n, evalSamples: opts.evalSamples, data: data.dir,
      epochs: result.history, finalTestAcc: result.interrupted ? null : result.finalTestAcc,
      interrupted: result.interrupted, totalSeconds: (Date.now() - started) / 1000,
      startedAt: new Date(started).toISOString(), node: process.version,
    };
    // Model first, then history and plot; each file replaced atomically.
    await saveModel(model, path.join(outDir, 'model'));
    writeFileAtomic(path.join(outDir, 'history.json'), `${JSON.stringify(history, null, 2)}\n`);
    if (result.history.length > 0) {
      const xLabel = steps < fullSteps ? `EPOCHS (OF ${steps} STEPS)` : 'EPOCHS';
      accuracyPlot(result.history, 'SimpleConvNet on MNIST', xLabel).save(path.join(outDir, 'accuracy.png'));
    }
    model.dispose();
    log(`saved ${path.join(outDir, 'model')}/{model.json,weights.bin}, history.json${result.history.length > 0 ? ', accuracy.png' : ''}`);
    return result.interrupted ? 130 : 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
