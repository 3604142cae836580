/** Our GPGPU programs for tfjs's webgl backend, one per file; glsl.ts holds what they share. */
export { Col2imProgram } from './Col2imProgram';
export { DepthwiseBackpropFilterProgram } from './DepthwiseBackpropFilterProgram';
export { DepthwiseBackpropInputProgram } from './DepthwiseBackpropInputProgram';
export { DepthwisePackedProgram } from './DepthwisePackedProgram';
export type { DepthwisePackedSpec } from './DepthwisePackedProgram';
export { DepthwiseProgram } from './DepthwiseProgram';
export { GemmProgram } from './GemmProgram';
export { GemmReduceRowsProgram } from './GemmReduceRowsProgram';
export type { EpilogueSpec } from './glsl';
export { geometryKey, isDilated, windowUniformValues } from './glsl';
export { Im2colProgram } from './Im2colProgram';
export { MaxPoolGradDirectProgram, windowsDisjoint } from './MaxPoolGradDirectProgram';
export { PoolGradProgram } from './PoolGradProgram';
export { PoolProgram } from './PoolProgram';
export { SumRelayoutProgram } from './SumRelayoutProgram';
export { TransposeProgram } from './TransposeProgram';
export { MAX_VARIANTS, resetVariants, specialise, variantStats } from './variants';
