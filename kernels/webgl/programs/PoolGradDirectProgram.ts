import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { Uniform, WINDOW_COUNT_GLSL, windowGeometryGlsl } from './glsl';
import { poolUniforms, windowWalkGlsl } from './PoolProgram';

/** Windows that never overlap (stride ≥ window, no dilation): each input pixel lies in at most one. */
export function windowsDisjoint(g: ConvGeometry): boolean {
  return g.dilationH === 1 && g.dilationW === 1 && g.strideH >= g.filterH && g.strideW >= g.filterW;
}

/**
 * GLSL along one axis ('x' rows, 'y' columns): the one window `o` holding coordinate `coord` under
 * windowsDisjoint, and the coordinate's offset `f` in it; `${o}Holds` is false when no window holds it.
 * (t = coord + padding >= 0: the pixel is inside the input.) Shared by both layouts' programs.
 */
export function windowOfPixelGlsl(axis: 'x' | 'y', coord: string, o: string, f: string): string {
  return `
        int t${o} = ${coord} + padTopLeft.${axis};
        int ${o} = t${o} / stride.${axis};
        int ${f} = t${o} - ${o} * stride.${axis};
        bool ${o}Holds = ${o} < outputSize.${axis} && ${f} < filterSize.${axis};`;
}

/**
 * MaxPoolGrad and AvgPoolGrad in one pass for disjoint windows (windowsDisjoint): each pixel of dx
 * [N, H, W, C] (unpacked) finds the one window containing it. 'max' walks that window's input like PoolProgram
 * 'argmax' and takes the window's dy when the maximum is this pixel (no positions texture); 'avg' takes the
 * window's dy over its in-bounds pixel count (one read, where PoolGradProgram tries every window offset).
 * Always specialised: `g` is compiled in.
 */
export class PoolGradDirectProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = false;
  enableShapeUniforms = false;
  customUniforms: Uniform[] = poolUniforms(true);

  constructor(inShape: [number, number, number, number], mode: 'max' | 'avg', g: ConvGeometry) {
    this.variableNames = mode === 'max' ? ['dy', 'x'] : ['dy'];
    this.outputShape = inShape;
    const gradient = mode === 'avg' ? 'setOutput(getDy(p.x, oh, ow, p.w) / windowCount(oh, ow));' : `
        ivec4 o = ivec4(p.x, oh, ow, p.w);
        float best = minusInfinity;
        float pos = -1.0;
        ${windowWalkGlsl('o', 'if (v > best) { best = v; pos = float(fh * filterSize.y + fw); }')}
        setOutput(pos == float(fhSelf * filterSize.y + fwSelf) ? getDy(p.x, oh, ow, p.w) : 0.0);`;
    this.userCode = `
      ${windowGeometryGlsl(g)}
      ${mode === 'avg' ? WINDOW_COUNT_GLSL : ''}
      void main() {
        ivec4 p = getOutputCoords();
        ${windowOfPixelGlsl('x', 'p.y', 'oh', 'fhSelf')}
        ${windowOfPixelGlsl('y', 'p.z', 'ow', 'fwSelf')}
        if (!ohHolds || !owHolds) {
          setOutput(0.0);
          return;
        }
        ${gradient}
      }`;
  }
}
