import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { Uniform, windowGeometryGlsl } from './glsl';
import { poolUniforms, windowWalkGlsl } from './PoolProgram';

/** Windows that never overlap (stride ≥ window, no dilation): each input pixel lies in at most one. */
export function windowsDisjoint(g: ConvGeometry): boolean {
  return g.dilationH === 1 && g.dilationW === 1 && g.strideH >= g.filterH && g.strideW >= g.filterW;
}

/**
 * MaxPoolGrad in one pass for disjoint windows (windowsDisjoint): each pixel
 * of dx [N, H, W, C] finds the one window containing it, walks that window's
 * input like PoolProgram 'argmax' (first maximum, NaN never wins) and takes
 * the window's dy when the maximum is this pixel — no positions texture.
 * Always specialised: `g` is compiled in.
 */
export class MaxPoolGradDirectProgram implements GPGPUProgram {
  variableNames = ['dy', 'x'];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = false;
  enableShapeUniforms = false;
  customUniforms: Uniform[] = poolUniforms(true);

  constructor(inShape: [number, number, number, number], g: ConvGeometry) {
    this.outputShape = inShape;
    this.userCode = `
      ${windowGeometryGlsl(g)}
      void main() {
        ivec4 p = getOutputCoords();
        int th = p.y + padTopLeft.x;
        int tw = p.z + padTopLeft.y;
        // th, tw >= 0 (the pixel is inside the input, the padding before it >= 0).
        int oh = th / stride.x;
        int ow = tw / stride.y;
        int fhSelf = th - oh * stride.x;
        int fwSelf = tw - ow * stride.y;
        if (oh >= outputSize.x || ow >= outputSize.y || fhSelf >= filterSize.x || fwSelf >= filterSize.y) {
          setOutput(0.0);
          return;
        }
        ivec4 o = ivec4(p.x, oh, ow, p.w);
        float best = minusInfinity;
        float pos = -1.0;
        ${windowWalkGlsl('o', 'if (v > best) { best = v; pos = float(fh * filterSize.y + fw); }')}
        setOutput(pos == float(fhSelf * filterSize.y + fwSelf) ? getDy(p.x, oh, ow, p.w) : 0.0);
      }`;
  }
}
