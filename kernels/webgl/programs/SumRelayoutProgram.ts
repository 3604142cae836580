import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { forTo, Uniform } from './glsl';

/**
 * Sums the packed partial results P [S, R, C] over S and writes them in the
 * packed layout of `outShape` (same element count as R·C, row-major), which
 * also re-lays-out [1, K, outC] as the filter shape [fh, fw, inC, outC].
 */
export class SumRelayoutProgram implements GPGPUProgram {
  variableNames = ['P'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms: Uniform[] = [{ name: 'splits', type: 'int' }, { name: 'partialCols', type: 'int' }];

  constructor(outShape: [number, number, number, number]) {
    this.outputShape = outShape;
    this.userCode = `
      float sumAt(int at) {
        int row = at / partialCols;
        int col = at - row * partialCols;
        float s = 0.0;
        ${forTo('i', 'splits')}
          s += getChannel(getP(i, row, col), vec2(row, col));
        }
        return s;
      }
      void main() {
        ivec4 rc = getOutputCoords();
        int rows = outShape[2];
        int cols = outShape[3];
        int at = ((rc.x * outShape[1] + rc.y) * rows + rc.z) * cols + rc.w;
        vec4 r = vec4(0.0);
        r.x = sumAt(at);
        if (rc.w + 1 < cols) r.y = sumAt(at + 1);
        if (rc.z + 1 < rows) {
          r.z = sumAt(at + cols);
          if (rc.w + 1 < cols) r.w = sumAt(at + cols + 1);
        }
        setOutput(r);
      }`;
  }
}
