import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { Uniform } from './glsl';

/**
 * Step (ReLU's gradient mask) on packed textures: 1 where x > 0, `alpha` elsewhere, NaN stays NaN — tfjs's
 * rule, four values per fragment. x and the output share shape and layout. Up to rank 4 the shapes are
 * uniforms, so one shader per rank; tfjs's shape uniforms stop at rank 4, so ranks 5 and 6 compile per shape,
 * as tfjs's own programs do.
 */
export class StepPackedProgram implements GPGPUProgram {
  variableNames = ['A'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms: boolean;
  customUniforms: Uniform[] = [{ name: 'alpha', type: 'float' }];

  constructor(shape: number[]) {
    this.outputShape = shape;
    this.enableShapeUniforms = shape.length <= 4;
    this.userCode = `
      float stepOf(float v) {
        return isnan(v) ? v : (v > 0.0 ? 1.0 : alpha);
      }
      void main() {
        vec4 x = getAAtOutCoords();
        setOutput(vec4(stepOf(x.r), stepOf(x.g), stepOf(x.b), stepOf(x.a)));
      }`;
  }
}
