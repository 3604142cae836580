import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { forEachWindowContaining, Uniform, windowGeometryGlsl } from './glsl';

/**
 * DepthwiseConv2dNativeBackpropInput, one input pixel-channel per fragment (unpacked), any channel
 * multiplier M and stride, dilation 1:
 * dx[n, h, w, c] = Σ over the windows (oh, ow) containing (h, w), at window offset (fh, fw),
 * Σ_q dy[n, oh, ow, c·M + q] · W[fh, fw, c, q].
 * Only the windows that contain the pixel are visited (no divisibility tests); the geometry is compiled in.
 * Inputs: `dy` [N, outH, outW, C·M], `W` [fh, fw, C, M] (unpacked).
 */
export class DepthwiseBackpropInputProgram implements GPGPUProgram {
  variableNames = ['dy', 'W'];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = false;
  enableShapeUniforms = false;
  customUniforms: Uniform[] = [];

  constructor(g: ConvGeometry, multiplier: number) {
    this.outputShape = [g.batch, g.inH, g.inW, g.inC];
    const body = multiplier === 1
      ? 'acc += getDy(n, oh, ow, c) * getW(fh, fw, c, 0);'
      : `for (int q = 0; q < ${multiplier}; q++) acc += getDy(n, oh, ow, c * ${multiplier} + q) * getW(fh, fw, c, q);`;
    this.userCode = `
      // tfjs-im2col DepthwiseBackpropInput
      ${windowGeometryGlsl(g)}
      void main() {
        ivec4 p = getOutputCoords();
        int n = p.x;
        int c = p.w;
        float acc = 0.0;
        ${forEachWindowContaining('p.y', 'p.z', body, false)}
        setOutput(acc);
      }`;
  }
}
