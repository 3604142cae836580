/**
 * Node-only helpers (they read and write files): the MNIST loader, saving and
 * loading models in folders, the book's trained weights, and the trainer.
 * Also re-exports the chapter's networks from `tfjs-im2col/models`.
 */
export * from './models';
export * from './data';
export { folderLoadHandler, folderSaveHandler, loadModel, saveModel } from './models/io';
export {
  affineRowsNchwToNhwc, convFilterToHwio, loadBookDeepConvNet, loadBookSimpleConvNet, readBookWeights,
} from './models/bookWeights';
export type { BookArray } from './models/bookWeights';
export {
  accuracy, compileForTraining, misclassified, mulberry32, permutation, trainModel,
} from './models/train';
export type { EpochRecord, StepInfo, TrainOptions, TrainResult } from './models/train';
