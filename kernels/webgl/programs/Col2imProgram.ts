import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { forEachWindowContaining, Uniform, WINDOW_UNIFORMS, windowGeometryGlsl } from './glsl';

/**
 * col2im: the packed column gradient dcol [N·outH, outW, K] summed back
 * into the image gradient (unpacked, NHWC or NCHW) — the transpose of im2col.
 * With a geometry `g` the variant is specialised (see ./variants.ts);
 * `dilated`: some dilation exceeds 1 (see forEachWindowContaining).
 */
export class Col2imProgram implements GPGPUProgram {
  variableNames = ['dcol'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = false;
  enableShapeUniforms: boolean;
  customUniforms: Uniform[];

  constructor(inShape: [number, number, number, number], channelsLast: boolean, g: ConvGeometry | null, dilated: boolean) {
    this.outputShape = inShape;
    this.enableShapeUniforms = g === null;
    this.customUniforms = g === null ? WINDOW_UNIFORMS : [];
    const coords = channelsLast
      ? 'int n = o.x; int h = o.y; int w = o.z; int c = o.w;'
      : 'int n = o.x; int c = o.y; int h = o.z; int w = o.w;';
    this.userCode = `
      ${windowGeometryGlsl(g)}
      void main() {
        ivec4 o = getOutputCoords();
        ${coords}
        float acc = 0.0;
        ${forEachWindowContaining('h', 'w', `
          int row = n * outputSize.x + oh;
          int k = (fh * filterSize.y + fw) * inChannels + c;
          acc += getChannel(getDcol(row, ow, k), vec2(ow, k));`, dilated)}
        setOutput(acc);
      }`;
  }
}
