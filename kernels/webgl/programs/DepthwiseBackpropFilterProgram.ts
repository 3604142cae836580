import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { forTo, Uniform } from './glsl';

/**
 * GLSL: the outputs `o` along one axis whose window puts tap `f` inside x, 0 <= o·stride − pad + f < size:
 * o in [${o}Lo, ${o}Hi] = [ceil((pad − f) / stride), floor((size − 1 + pad − f) / stride)] ∩ [0, outSize),
 * ${o}Count of them (0 or less: none).
 */
export function tapOutputRange(o: string, f: string, pad: number, stride: number, size: number, outSize: number): string {
  return `
        int ${o}Lo = ${pad} - ${f} <= 0 ? 0 : (${pad} - ${f} + ${stride - 1}) / ${stride};
        int ${o}Top = ${size - 1 + pad} - ${f};
        int ${o}Hi = ${o}Top < 0 ? -1 : ${o}Top / ${stride};
        if (${o}Hi > ${outSize - 1}) ${o}Hi = ${outSize - 1};
        int ${o}Count = ${o}Hi - ${o}Lo + 1;`;
}

/**
 * DepthwiseConv2dNativeBackpropFilter, one filter value per fragment (unpacked), any channel multiplier M,
 * dilation 1 (multiplier 1 runs DepthwiseBackpropFilterPairsProgram):
 * dW[fh, fw, c, q] = Σ_{n, oh, ow} x[n, oh·strideH − padTop + fh, ow·strideW − padLeft + fw, c] · dy[n, oh, ow, c·M + q].
 * Each fragment first works out the output rows and columns whose window puts tap (fh, fw) inside x, then
 * sums over exactly those: no bounds test in the loop. The geometry and shapes are compiled in.
 * (Measured slower on SwiftShader, so not used: a packed variant — two channels per fragment, two output
 * columns per fetch — and walking the textures instead of tfjs's samplers.)
 * Inputs: `x` [N, H, W, C], `dy` [N, outH, outW, C·M] (unpacked).
 */
export class DepthwiseBackpropFilterProgram implements GPGPUProgram {
  variableNames = ['x', 'dy'];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = false;
  enableShapeUniforms = false;
  customUniforms: Uniform[] = [];

  constructor(g: ConvGeometry, multiplier: number) {
    this.outputShape = [g.filterH, g.filterW, g.inC, multiplier];
    this.userCode = `
      // tfjs-im2col DepthwiseBackpropFilter
      void main() {
        ivec4 f = getOutputCoords();
        int fh = f.x;
        int fw = f.y;
        int c = f.z;
        int d = c * ${multiplier} + f.w;
        ${tapOutputRange('oh', 'fh', g.padTop, g.strideH, g.inH, g.outH)}
        ${tapOutputRange('ow', 'fw', g.padLeft, g.strideW, g.inW, g.outW)}
        int h0 = ohLo * ${g.strideH} - ${g.padTop} + fh;
        int w0 = owLo * ${g.strideW} - ${g.padLeft} + fw;
        float acc = 0.0;
        for (int n = 0; n < ${g.batch}; n++) {
          ${forTo('i', 'ohCount')}
            int oh = ohLo + i;
            int ih = h0 + i * ${g.strideH};
            ${forTo('j', 'owCount')}
              acc += getX(n, ih, w0 + j * ${g.strideW}, c) * getDy(n, oh, owLo + j, d);
            }
          }
        }
        setOutput(acc);
      }`;
  }
}
