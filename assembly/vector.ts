// The module of vector kernels that the cpu backend runs outside GEMM: max
// pooling (pool.ts), the elementwise passes (elementwise.ts) and im2col
// (im2col.ts), compiled
// together by scripts/build-wasm.mjs so that they share one linear memory.
export * from './pool';
export * from './elementwise';
export * from './im2col';
export * from './depthwise';
