import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { activationGlsl, EpilogueSpec, epilogueInputs, leakyAlphaUniform, Uniform } from './glsl';

/**
 * Depthwise convolution, one output value per fragment (unpacked), any channel multiplier M:
 * y[n, oh, ow, c·M + q] = Σ_{fh, fw} x[n, oh·strideH − padTop + fh·dilationH, ow·strideW − padLeft + fw·dilationW, c]
 * · W[fh, fw, c, q], taps outside x skipped. Generated for one geometry (constants; the bounds tests only
 * where the windows can leave x). Optionally FusedDepthwiseConv2D's epilogue.
 * Inputs: `x` [N, H, W, C], `W` [fh, fw, C, M] (unpacked), then the epilogue's.
 */
export class DepthwiseProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = false;
  enableShapeUniforms = false;
  customUniforms: Uniform[];

  constructor(g: ConvGeometry, multiplier: number, epilogue: EpilogueSpec | null) {
    this.variableNames = ['x', 'W', ...epilogueInputs(epilogue)];
    this.outputShape = [g.batch, g.outH, g.outW, g.outC];
    this.customUniforms = epilogue ? [leakyAlphaUniform] : [];
    const rowsLeave = g.padTop > 0 || (g.outH - 1) * g.strideH - g.padTop + (g.filterH - 1) * g.dilationH >= g.inH;
    const colsLeave = g.padLeft > 0 || (g.outW - 1) * g.strideW - g.padLeft + (g.filterW - 1) * g.dilationW >= g.inW;
    const e = epilogue;
    this.userCode = `
      // tfjs-im2col Depthwise
      ${e ? activationGlsl(e.activation) : ''}
      void main() {
        ivec4 o = getOutputCoords();
        int c = o.w / ${multiplier};
        int q = o.w - c * ${multiplier};
        int h0 = o.y * ${g.strideH} - ${g.padTop};
        int w0 = o.z * ${g.strideW} - ${g.padLeft};
        float acc = 0.0;
        for (int fh = 0; fh < ${g.filterH}; fh++) {
          int ih = h0 + fh * ${g.dilationH};
          ${rowsLeave ? `if (ih < 0 || ih >= ${g.inH}) continue;` : ''}
          for (int fw = 0; fw < ${g.filterW}; fw++) {
            int iw = w0 + fw * ${g.dilationW};
            ${colsLeave ? `if (iw < 0 || iw >= ${g.inW}) continue;` : ''}
            acc += getX(o.x, ih, iw, c) * getW(fh, fw, c, q);
          }
        }
        ${e?.hasBias ? 'acc += getBiasAtOutCoords();' : ''}
        ${e ? `acc = activate(acc, ${e.hasAlpha ? 'getAlphaAtOutCoords()' : 'leakyAlpha'});` : ''}
        setOutput(acc);
      }`;
  }
}
