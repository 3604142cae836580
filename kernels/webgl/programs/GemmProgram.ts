import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import {
  EpilogueSpec, epilogueInputs, forTo, leakyAlphaUniform, packedEpilogueGlsl, texelWalkGlsl, Uniform,
} from './glsl';

/**
 * Packed GEMM, batched over the first output axes: output [P, Q, R, C],
 * batch b = p·Q + q.
 *  - 'nn': out[b][r][c] = Σ_k A[b][r][k] · B[0][k][c]      (A [P·Q, R, inner], B [1, inner, C])
 *  - 'nt': out[b][r][c] = Σ_k A[b][r][k] · B[0][c][k]      (B [1, C, inner])
 * `inner` is a uniform; an odd inner size is handled by a masked tail step.
 */
export class GemmProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms: Uniform[] = [{ name: 'inner', type: 'int' }, leakyAlphaUniform];

  constructor(outShape: [number, number, number, number], transposeB: boolean, epilogue: EpilogueSpec | null) {
    this.variableNames = ['A', 'B', ...epilogueInputs(epilogue)];
    this.outputShape = outShape;
    // B is [1, inner, C] ('nn') or [1, C, inner] ('nt'); A is [P·Q, R, inner].
    const bStart = transposeB ? '(c / 2) * halfInner' : 'c / 2';
    const bStep = transposeB ? '1' : '(outShape[3] + 1) / 2';
    const swizzleB = transposeB ? '.xzyw' : '';
    this.userCode = `
      ${texelWalkGlsl()}
      ${packedEpilogueGlsl(epilogue)}
      void main() {
        ivec4 rc = getOutputCoords();
        int b = rc.x * outShape[1] + rc.y;
        int r = rc.z;
        int c = rc.w;
        int pairs = inner / 2;
        int halfInner = (inner + 1) / 2;
        Walk wa = walkFrom(ATexShape, (b * ((outShape[2] + 1) / 2) + r / 2) * halfInner, 1);
        Walk wb = walkFrom(BTexShape, ${bStart}, ${bStep});
        vec4 acc = vec4(0.0);
        ${forTo('i', 'pairs')}
          vec4 a = fetch(A, wa);
          vec4 w = fetch(B, wb)${swizzleB};
          acc += a.xxzz * w.xyxy + a.yyww * w.zwzw;
          advance(wa);
          advance(wb);
        }
        if (pairs < halfInner) {
          // Odd inner size: the last texel's second inner lane lies past the edge.
          vec4 a = fetch(A, wa);
          vec4 w = fetch(B, wb)${swizzleB};
          acc += a.xxzz * w.xyxy;
        }
        setOutput(epilogue(acc));
      }`;
  }
}
