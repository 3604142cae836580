import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { Uniform, windowGeometryGlsl } from './glsl';
import { poolUniforms, windowWalkGlsl } from './PoolProgram';

/**
 * MaxPoolGradDirectProgram on packed textures: x and dy packed [N, H, W, C] (as a convolution's output and a
 * matrix product's gradient leave them), dx packed. A fragment writes pixels w, w+1 for channels c, c+1; a texel
 * of x holds two neighbouring pixels' channels c, c+1, so a window's walk reads one texel per tap for both
 * channels, and pixels of one window (2×2 windows of stride 2) share the walk. Same rule: the first maximum
 * (`>`, NaN never wins) takes the window's dy. Always specialised: `g` is compiled in.
 */
export class MaxPoolGradPackedProgram implements GPGPUProgram {
  variableNames = ['dy', 'x'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = false;
  customUniforms: Uniform[] = poolUniforms(true);

  constructor(inShape: [number, number, number, number], g: ConvGeometry) {
    this.outputShape = inShape;
    this.userCode = `
      ${windowGeometryGlsl(g)}
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
      }
      void main() {
        ivec4 p = getOutputCoords();
        // th, tw >= 0 (the pixel is inside the input, the padding before it >= 0).
        int th = p.y + padTopLeft.x;
        int oh = th / stride.x;
        int fhSelf = th - oh * stride.x;
        vec4 r = vec4(0.0);
        if (oh < outputSize.x && fhSelf < filterSize.x) {
          vec2 pos = vec2(-2.0);
          int owDone = -1;
          for (int k = 0; k < 2; k++) {
            int w = p.z + k;
            int tw = w + padTopLeft.y;
            int ow = tw / stride.y;
            int fwSelf = tw - ow * stride.y;
            if (w >= inputSize.y || ow >= outputSize.y || fwSelf >= filterSize.y) continue;
            if (ow != owDone) {
              pos = firstMax(p.x, oh, ow, p.w);
              owDone = ow;
            }
            vec4 t = getDy(p.x, oh, ow, p.w);
            vec2 d = ow - (ow / 2) * 2 == 0 ? t.xy : t.zw;
            float self = float(fhSelf * filterSize.y + fwSelf);
            vec2 g = vec2(pos.x == self ? d.x : 0.0, pos.y == self ? d.y : 0.0);
            if (k == 0) r.xy = g; else r.zw = g;
          }
        }
        if (p.w + 1 >= inChannels) r.yw = vec2(0.0);
        setOutput(r);
      }`;
  }
}
