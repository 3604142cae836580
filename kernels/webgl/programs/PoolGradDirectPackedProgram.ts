import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { Uniform, WINDOW_COUNT_GLSL, windowGeometryGlsl } from './glsl';
import { windowOfPixelGlsl } from './PoolGradDirectProgram';
import { poolUniforms, windowWalkGlsl } from './PoolProgram';

/**
 * PoolGradDirectProgram on packed textures: dy (and x for 'max') packed [N, H, W, C] (as a convolution's output
 * and a matrix product's gradient leave them), dx packed. A fragment writes pixels w, w+1 for channels c, c+1;
 * a texel holds two neighbouring pixels' channels c, c+1, so one dy read serves both channels, and for 'max'
 * a window's walk reads one texel of x per tap, shared by the pixels of one window (2×2 windows of stride 2).
 * Same rules: the first maximum (`>`, NaN never wins) takes the window's dy; for 'avg' every pixel takes dy over
 * the window's in-bounds pixel count. Always specialised: `g` is compiled in.
 */
export class PoolGradDirectPackedProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = false;
  customUniforms: Uniform[] = poolUniforms(true);

  constructor(inShape: [number, number, number, number], mode: 'max' | 'avg', g: ConvGeometry) {
    this.variableNames = mode === 'max' ? ['dy', 'x'] : ['dy'];
    this.outputShape = inShape;
    // The gradient `g` of pixel (fhSelf, fwSelf) of window (oh, ow), channels c and c+1, from that window's dy `d`.
    const gradient = mode === 'avg' ? 'vec2 g = d / windowCount(oh, ow);' : `
            if (ow != owDone) {
              pos = firstMax(p.x, oh, ow, p.w);
              owDone = ow;
            }
            float self = float(fhSelf * filterSize.y + fwSelf);
            vec2 g = vec2(pos.x == self ? d.x : 0.0, pos.y == self ? d.y : 0.0);`;
    const helpers = mode === 'avg' ? WINDOW_COUNT_GLSL : `
      // Window offset fh·filterW + fw of the first maximum of window (n, oh, ow), channels c and c+1 (-1: none).
      vec2 firstMax(int n, int oh, int ow, int c) {
        ivec4 o = ivec4(n, oh, ow, c);
        vec2 best = vec2(minusInfinity);
        vec2 pos = vec2(-1.0);
        ${windowWalkGlsl('o', `
            float at = float(fh * filterSize.y + fw);
            if (v.x > best.x) { best.x = v.x; pos.x = at; }
            if (v.y > best.y) { best.y = v.y; pos.y = at; }`, true)}
        return pos;
      }`;
    this.userCode = `
      ${windowGeometryGlsl(g)}
      ${helpers}
      void main() {
        ivec4 p = getOutputCoords();
        ${windowOfPixelGlsl('x', 'p.y', 'oh', 'fhSelf')}
        vec4 r = vec4(0.0);
        if (ohHolds) {
          vec2 pos = vec2(-2.0);
          int owDone = -1;
          for (int k = 0; k < 2; k++) {
            int w = p.z + k;
            ${windowOfPixelGlsl('y', 'w', 'ow', 'fwSelf')}
            if (w >= inputSize.y || !owHolds) continue;
            vec4 t = getDy(p.x, oh, ow, p.w);
            vec2 d = ow - (ow / 2) * 2 == 0 ? t.xy : t.zw;
            ${gradient}
            if (k == 0) r.xy = g; else r.zw = g;
          }
        }
        if (p.w + 1 >= inChannels) r.yw = vec2(0.0);
        setOutput(r);
      }`;
  }
}
