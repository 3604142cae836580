/** Node-only: MNIST-format IDX loading. */
export {
  defaultMnistDir, imagesTensor, labelsTensor, loadMnist, loadMnistSplit, MNIST_FILES, MnistDataError, oneHotTensor, parseIdx,
} from './mnist';
export type { IdxArray, LoadMnistOptions, MnistData, MnistSplit } from './mnist';
