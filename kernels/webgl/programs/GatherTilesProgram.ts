import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { EpilogueSpec, epilogueInputs, leakyAlphaUniform, packedEpilogueGlsl, Uniform } from './glsl';

/**
 * Puts the targets T0… of gemmTilesProgram / gemmReduceTilesProgram back into
 * one packed output [P, Q, R, C] (row pair i = (p·Q + q)·⌈R/2⌉ + r/2, column
 * pair j = c/2), applying the FusedConv2D epilogue on the way. The row pairs
 * come in groups of `groupPairs` (the reduction's splits; one group for a
 * GEMM) and a tile never straddles two groups.
 */
export class GatherTilesProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms: Uniform[] = [leakyAlphaUniform, { name: 'groupPairs', type: 'int' }];

  constructor(
    outShape: [number, number, number, number], rowTexels: number, colTexels: number, epilogue: EpilogueSpec | null,
  ) {
    const targets = [...Array(rowTexels * colTexels).keys()];
    this.variableNames = [...targets.map((t) => `T${t}`), ...epilogueInputs(epilogue)];
    this.outputShape = outShape;
    const pick = targets.map((t) =>
      `${t ? 'else ' : ''}if (which == ${t}) v = getT${t}(2 * tileRow, 2 * tileCol);`).join('\n');
    this.userCode = `
      ${packedEpilogueGlsl(epilogue)}
      void main() {
        ivec4 rc = getOutputCoords();
        int i = (rc.x * outShape[1] + rc.y) * ((outShape[2] + 1) / 2) + rc.z / 2;
        int j = rc.w / 2;
        int group = i / groupPairs;
        int within = i - group * groupPairs;
        int tileRows = (groupPairs + ${rowTexels - 1}) / ${rowTexels};
        int tileCols = ((outShape[3] + 1) / 2 + ${colTexels - 1}) / ${colTexels};
        int a = within / tileRows;
        int b = j / tileCols;
        int tileRow = group * tileRows + within - a * tileRows;
        int tileCol = j - b * tileCols;
        int which = a * ${colTexels} + b;
        vec4 v;
        ${pick}
        setOutput(epilogue(v));
      }`;
  }
}
