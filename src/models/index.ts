/**
 * The chapter's networks as tfjs-layers models (browser-safe: no Node imports).
 * Node-only helpers (MNIST loader, folder save/load, the book's weights, the
 * trainer) are in src/data, src/models/io, src/models/bookWeights, src/models/train.
 */
export { ModelConfigError, FastNormal } from './common';
export { buildSimpleConvNet, simpleConvNetShapes, SIMPLE_CONVNET_DEFAULTS, SIMPLE_CONVNET_LAYERS } from './simpleConvNet';
export type { ConvParam, SimpleConvNetConfig, SimpleConvNetShapes } from './simpleConvNet';
export { buildDeepConvNet, DEEP_CONVNET_CONVS } from './deepConvNet';
export type { DeepConvNetConfig } from './deepConvNet';
export { buildLeNet, LENET_C3_TABLE } from './lenet';
export type { LeNetConfig } from './lenet';
export { buildAlexNet } from './alexnet';
export type { AlexNetConfig } from './alexnet';
export { EuclideanRBF, GroupedConv2D, LocalResponseNormalization, SparseConv2D, Subsampling2D } from './layers';
