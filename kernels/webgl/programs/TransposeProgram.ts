import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { activationGlsl, EpilogueSpec, epilogueInputs, leakyAlphaUniform, Uniform } from './glsl';

/**
 * NHWC ↔ NCHW (unpacked). 'toNCHW' can apply the FusedConv2D epilogue on
 * the way (bias broadcast against the NCHW output).
 */
export class TransposeProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = false;
  enableShapeUniforms = true;
  customUniforms: Uniform[] = [leakyAlphaUniform];

  constructor(outShape: [number, number, number, number], to: 'NCHW' | 'NHWC', epilogue: EpilogueSpec | null) {
    this.variableNames = ['x', ...epilogueInputs(epilogue)];
    this.outputShape = outShape;
    const read = to === 'NCHW' ? 'getX(o.x, o.z, o.w, o.y)' : 'getX(o.x, o.w, o.y, o.z)';
    // Channel index of the output: axis 1 in NCHW.
    const operand = (name: 'Bias' | 'Alpha', perChannel: boolean | undefined) =>
      perChannel ? `get${name}(o.y)` : `get${name}AtOutCoords()`;
    const e = epilogue;
    this.userCode = `
      ${e ? activationGlsl(e.activation) : ''}
      void main() {
        ivec4 o = getOutputCoords();
        float v = ${read};
        ${e?.hasBias ? `v += ${operand('Bias', e.biasPerChannel)};` : ''}
        ${e ? `v = activate(v, ${e.hasAlpha ? operand('Alpha', e.alphaPerChannel) : 'leakyAlpha'});` : ''}
        setOutput(v);
      }`;
  }
}
