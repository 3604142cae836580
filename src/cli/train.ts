/** `tfjs-im2col train`: SimpleConvNet on MNIST with the book's recipe. */
import * as path from 'node:path';
import * as cliProgress from 'cli-progress';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadMnist, MnistData, MnistDataError } from '../data/mnist';
import { saveModel } from '../models/io';
import { buildSimpleConvNet, SimpleConvNetConfig } from '../models/simpleConvNet';
import { compileForTraining, EpochRecord, trainModel, TrainResult } from '../models/train';
import { saveTrainingChart } from '../visualize/chart';
import { BackendChoice, KernelChoice, setupBackend, teardownCpu } from './backend';
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
  backend?: BackendChoice;
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
  /** The tfjs backend the run trained on ('cpu' in files written before --backend existed). */
  backend?: BackendChoice;
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
  /** The mini-batch loss of every step, in order (`epochs[e].steps` of them in epoch e); absent in older files. */
  stepLosses?: number[];
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** A run ready to train: options checked, data loaded, output folder usable, backend set up, model built. */
interface PreparedRun {
  opts: TrainCliOptions;
  started: number;
  epochs: number;
  seed: number;
  data: MnistData;
  outDir: string;
  engine: string;
  config: SimpleConvNetConfig;
  model: tfl.LayersModel;
  /** Steps in a full epoch: `--steps-per-epoch`, or as many as cover the training set. */
  steps: number;
}

/**
 * Checks the options, loads the data, makes sure the output folder can be written, sets up the
 * backend and builds the model; then says what it will do. Bad input fails here, before any training.
 */
async function prepareTrain(opts: TrainCliOptions, log: (line: string) => void): Promise<PreparedRun> {
  const started = Date.now();
  const defaultRun = opts.epochs === undefined;
  const epochs = opts.epochs ?? DEFAULT_EPOCHS;
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
    engine = await setupBackend(opts.backend ?? 'cpu', opts.kernels, opts.gemm);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const config: SimpleConvNetConfig = { inputDim: [1, data.train.rows, data.train.cols], seed };
  const model = buildSimpleConvNet(config);
  compileForTraining(model, opts.lr);

  const fullSteps = Math.ceil(data.train.n / opts.batchSize);
  const steps = Math.min(fullSteps, opts.stepsPerEpoch ?? fullSteps);
  log(`SimpleConvNet on ${data.train.n} training / ${data.test.n} test images from ${data.dir}`);
  log(`backend ${opts.backend ?? 'cpu'}, kernels: ${engine}; ` +
    `Adam lr ${opts.lr}, batch ${opts.batchSize}, ${epochs} epoch(s) of ${steps} step(s)` +
    `${defaultRun ? ' (the default; --epochs 20 is the book\'s full recipe)' : ''}; seed ${seed}`);
  // The last thing before training: a Ctrl-C from here on is caught (see `CtrlC`).
  log(`output: ${outDir}`);
  return { opts, started, epochs, seed, data, outDir, engine, config, model, steps };
}

/**
 * Ctrl-C once: stop after the current step, evaluate and save. Twice: quit at once. Training and
 * evaluation give the event loop a turn between steps and batches, so the handler runs within one;
 * every file is written atomically, so quitting mid-save leaves no half-written file.
 */
class CtrlC {
  stop = false;
  /** Runs just before quitting at once (e.g. to stop the progress bar). */
  beforeQuit: () => void = () => undefined;
  private readonly onSigint = () => {
    if (this.stop) {
      this.beforeQuit();
      this.log('\ninterrupted again: exiting without saving');
      process.exit(130);
    }
    this.stop = true;
    this.log('\ninterrupted: finishing the current step, then saving (Ctrl-C again to quit at once)');
  };

  constructor(private readonly log: (line: string) => void) {
    process.on('SIGINT', this.onSigint);
  }

  dispose(): void {
    process.removeListener('SIGINT', this.onSigint);
  }
}

/**
 * Trains the prepared model with a progress bar and the book's per-epoch line, until the epochs are
 * done or Ctrl-C stops it; then releases the backend's worker threads and reports the final accuracy.
 */
async function trainPrepared(run: PreparedRun, ctrlC: CtrlC, log: (line: string) => void): Promise<TrainResult> {
  const { opts, epochs } = run;
  const bar = opts.progress
    ? new cliProgress.SingleBar({
      format: 'epoch {epoch} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {ips} img/s | ETA {eta_formatted}',
      hideCursor: true, etaBuffer: 20, clearOnComplete: false, barsize: 24,
    }, cliProgress.Presets.shades_classic)
    : undefined;
  ctrlC.beforeQuit = () => bar?.stop();
  let result: TrainResult;
  try {
    result = await trainModel(run.model, run.data, {
      epochs, batchSize: opts.batchSize, learningRate: opts.lr, seed: run.seed, stepsPerEpoch: opts.stepsPerEpoch,
      evalSamples: opts.evalSamples,
      shouldStop: () => ctrlC.stop,
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
    const n = run.data.test.n;
    log('=============== Final Test Accuracy ===============');
    log(`test acc:${result.finalTestAcc.toFixed(4)} (${Math.round(result.finalTestAcc * n)} / ${n})`);
  }
  return result;
}

/** What the chart says about the run under its title and beside the accuracy axis. */
function chartTexts(run: PreparedRun, result: TrainResult): { subtitle: string; accuracyTitle: string } {
  const { opts, data } = run;
  const done = result.stepLosses.length;
  const shape = done === run.steps * result.history.length
    ? `${result.history.length} epoch${result.history.length === 1 ? '' : 's'} × ${count(run.steps)} steps`
    : `${count(done)} steps (epochs of ${count(run.steps)})`;
  const outcome = result.interrupted
    ? 'interrupted (no final test)'
    : `test accuracy ${(100 * result.finalTestAcc).toFixed(2)} % (${count(Math.round(result.finalTestAcc * data.test.n))} / ${count(data.test.n)})`;
  const subtitle = `${shape}, batch ${opts.batchSize}, Adam lr ${opts.lr}, seed ${run.seed}: ${outcome}`;
  const checked = (n: number) => (opts.evalSamples > 0 ? Math.min(opts.evalSamples, n) : n);
  const [trainChecked, testChecked] = [checked(data.train.n), checked(data.test.n)];
  const which = opts.evalSamples > 0 ? 'first' : 'all';
  const accuracyTitle = trainChecked === testChecked
    ? `accuracy (${which} ${count(trainChecked)} images)`
    : `accuracy (${which} ${count(trainChecked)} train / ${count(testChecked)} test)`;
  return { subtitle, accuracyTitle };
}

/** Writes the model, history.json and the chart (accuracy.png), each file replaced atomically, model first. */
async function saveRun(run: PreparedRun, result: TrainResult, log: (line: string) => void): Promise<void> {
  const { opts, data, outDir, model } = run;
  const history: RunHistory = {
    model: 'SimpleConvNet', config: run.config, seed: run.seed, backend: opts.backend ?? 'cpu', kernels: opts.kernels, engine: run.engine,
    optimizer: { name: 'adam', learningRate: opts.lr }, batchSize: opts.batchSize,
    epochsRequested: run.epochs, stepsPerEpoch: opts.stepsPerEpoch ?? null,
    trainImages: data.train.n, testImages: data.test.n, evalSamples: opts.evalSamples, data: data.dir,
    epochs: result.history, finalTestAcc: result.interrupted ? null : result.finalTestAcc,
    interrupted: result.interrupted, totalSeconds: (Date.now() - run.started) / 1000,
    startedAt: new Date(run.started).toISOString(), node: process.version,
    stepLosses: result.stepLosses,
  };
  await saveModel(model, path.join(outDir, 'model'));
  writeFileAtomic(path.join(outDir, 'history.json'), `${JSON.stringify(history, null, 2)}\n`);
  const chart = result.history.length > 0;
  if (chart) {
    await saveTrainingChart(path.join(outDir, 'accuracy.png'), {
      stepLosses: result.stepLosses, stepsPerEpoch: run.steps, checks: result.history,
      title: 'SimpleConvNet on MNIST', ...chartTexts(run, result),
    });
  }
  model.dispose();
  log(`saved ${path.join(outDir, 'model')}/{model.json,weights.bin}, history.json${chart ? ', accuracy.png' : ''}`);
}

export async function runTrain(opts: TrainCliOptions, log: (line: string) => void = console.log): Promise<number> {
  const run = await prepareTrain(opts, log);
  const ctrlC = new CtrlC(log);
  try {
    const result = await trainPrepared(run, ctrlC, log);
    await saveRun(run, result, log);
    return result.interrupted ? 130 : 0;
  } finally {
    ctrlC.dispose();
  }
}
