import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { Uniform, WINDOW_UNIFORMS, windowGeometryGlsl } from './glsl';

/**
 * im2col: x (unpacked, NHWC or NCHW) → the packed matrix [N, outH, outW, K],
 * K = filterH·filterW·inC ordered (fh, fw, c) like tfjs filters; entries that
 * fall in the padding are 0, and so are the lanes past the matrix edge.
 * With a geometry `g` the variant is specialised (see ./variants.ts).
 */
export class Im2colProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = true;
  enableShapeUniforms: boolean;
  customUniforms: Uniform[];

  constructor(outShape: [number, number, number, number], channelsLast: boolean, g: ConvGeometry | null) {
    this.outputShape = outShape;
    this.enableShapeUniforms = g === null;
    this.customUniforms = g === null ? WINDOW_UNIFORMS : [];
    const read = channelsLast ? 'getX(n, ih, iw, c)' : 'getX(n, c, ih, iw)';
    this.userCode = `
      ${windowGeometryGlsl(g)}
      float colValue(int n, int oh, int ow, int k) {
        int c = imod(k, inChannels);
        int f = k / inChannels;
        int fw = imod(f, filterSize.y);
        int fh = f / filterSize.y;
        int ih = oh * stride.x - padTopLeft.x + fh * dilation.x;
        int iw = ow * stride.y - padTopLeft.y + fw * dilation.y;
        if (!windowInside && (ih < 0 || ih >= inputSize.x || iw < 0 || iw >= inputSize.y)) return 0.0;
        return ${read};
      }
      void main() {
        ivec4 rc = getOutputCoords();
        int outW = ${g === null ? 'outShape[2]' : outShape[2]};
        int K = ${g === null ? 'outShape[3]' : outShape[3]};
        vec4 r = vec4(0.0);
        r.x = colValue(rc.x, rc.y, rc.z, rc.w);
        if (rc.w + 1 < K) r.y = colValue(rc.x, rc.y, rc.z, rc.w + 1);
        if (rc.z + 1 < outW) {
          r.z = colValue(rc.x, rc.y, rc.z + 1, rc.w);
          if (rc.w + 1 < K) r.w = colValue(rc.x, rc.y, rc.z + 1, rc.w + 1);
        }
        setOutput(r);
      }`;
  }
}
