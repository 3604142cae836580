import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { forTo, texelWalkGlsl, Uniform } from './glsl';

/**
 * Column sums of the packed matrix X [1, R, C] over chunks of rows:
 * out[s][c] = Σ X[r][c] for r in [s·rowsPerChunk, (s+1)·rowsPerChunk) ∩ [0, R),
 * out packed [chunks, C] (R, C and rowsPerChunk, even, are uniforms). A fragment adds the row-pair texels of two chunks and
 * two columns, so every value fetched is used.
 */
export class SumRowsProgram implements GPGPUProgram {
  variableNames = ['X'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms: Uniform[] = [
    { name: 'rows', type: 'int' },
    { name: 'columns', type: 'int' },
    { name: 'rowsPerChunk', type: 'int' },
  ];

  constructor(chunks: number, columns: number) {
    this.outputShape = [chunks, columns];
    this.userCode = `
      ${texelWalkGlsl()}
      // Columns c, c+1 summed over chunk s (rowsPerChunk is even, so a chunk holds whole row pairs).
      vec2 chunkSum(int s, int c) {
        int halfC = (columns + 1) / 2;
        int first = s * rowsPerChunk;
        int last = first + rowsPerChunk > rows ? rows : first + rowsPerChunk;  // (GLSL ES 1.00 has no integer min)
        int pairs = (last - first) / 2;
        Walk w = walkFrom(XTexShape, (first / 2) * halfC + c / 2, halfC);
        vec2 acc = vec2(0.0);
        ${forTo('t', 'pairs')}
          vec4 v = fetch(X, w);
          acc += v.xy + v.zw;
          advance(w);
        }
        // An odd row count: the last pair's second row lies past the edge.
        if (first + 2 * pairs < last) acc += fetch(X, w).xy;
        return acc;
      }
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 r = vec4(chunkSum(rc.x, rc.y), rc.x + 1 < outShape[0] ? chunkSum(rc.x + 1, rc.y) : vec2(0.0));
        if (rc.y + 1 >= outShape[1]) r.yw = vec2(0.0);
        setOutput(r);
      }`;
  }
}
