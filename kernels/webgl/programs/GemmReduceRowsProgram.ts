import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { forTo, texelWalkGlsl, Uniform } from './glsl';

/**
 * Packed GEMM reducing over batches and rows (Conv2DBackpropFilter):
 * out[s][0][k][o] = Σ_{b in split s} Σ_w A[b][w][k] · B[b][w][o],
 * A = im2col matrix [nb, rows, K], B = dy [nb, rows, outC]. Splitting the
 * batches over s gives the GPU enough parallel work for a tiny output.
 */
export class GemmReduceRowsProgram implements GPGPUProgram {
  variableNames = ['A', 'B'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms: Uniform[] = [
    { name: 'batches', type: 'int' },
    { name: 'batchesPerSplit', type: 'int' },
    { name: 'rowsPerBatch', type: 'int' },
  ];

  constructor(outShape: [number, number, number, number]) {
    this.outputShape = outShape;
    // Row pair t of batch b sits at texel (b·⌈rows/2⌉ + t)·⌈width/2⌉ in both A and B,
    // so one counter runs over all (batch, row pair) of this split.
    this.userCode = `
      ${texelWalkGlsl()}
      void main() {
        ivec4 rc = getOutputCoords();
        int k = rc.z;
        int o = rc.w;
        int halfRows = (rowsPerBatch + 1) / 2;
        int b0 = rc.x * batchesPerSplit;
        int nb = batches - b0;
        if (nb > batchesPerSplit) nb = batchesPerSplit;
        int steps = nb * halfRows;
        int halfK = (outShape[2] + 1) / 2;
        int halfO = (outShape[3] + 1) / 2;
        Walk wa = walkFrom(ATexShape, b0 * halfRows * halfK + k / 2, halfK);
        Walk wb = walkFrom(BTexShape, b0 * halfRows * halfO + o / 2, halfO);
        bool oddRows = 2 * halfRows > rowsPerBatch;
        int pair = 0;
        vec4 acc = vec4(0.0);
        ${forTo('t', 'steps')}
          vec4 a = fetch(A, wa);
          vec4 d = fetch(B, wb);
          acc += a.xxyy * d.xyxy;
          pair += 1;
          if (pair == halfRows) {
            pair = 0;
            // The second row of an odd batch's last pair lies past the edge.
            if (!oddRows) acc += a.zzww * d.zwzw;
          } else {
            acc += a.zzww * d.zwzw;
          }
          advance(wa);
          advance(wb);
        }
        setOutput(acc);
      }`;
  }
}
