import type { MultiTargetProgram } from '../multi_target';
import { each, tiledShaderStart, tileParts } from './tiles';

/**
 * Packed GEMM writing rowTexels × colTexels output texels per fragment, one
 * per render target (drawToTargets): out = A · B with A [.., R, inner] (its
 * row pairs, in order, are the output's) and B [1, inner, C], or out = A · Bᵀ
 * with B [1, C, inner] (transposeB). Each step reads rowTexels + colTexels
 * texels for 2·rowTexels·colTexels vec4 products, where the one-texel
 * GemmProgram reads 2 for 2.
 *
 * The texels of a fragment are strided: with tileRows = ⌈rowPairs / rowTexels⌉
 * and tileCols = ⌈colPairs / colTexels⌉, fragment (q, p) of the packed
 * [2·tileRows, 2·tileCols] targets computes row pairs q + a·tileRows and column
 * pairs p + b·tileCols into target a·colTexels + b. So each target holds one
 * block of the output, and GatherTilesProgram, which puts the texels back in
 * place, reads the same target for whole blocks of neighbouring texels.
 */
export function gemmTilesProgram(rowTexels: number, colTexels: number, transposeB: boolean): MultiTargetProgram {
  const { rows, cols, tiles } = tileParts(rowTexels, colTexels);
  const ints = ['rowPairs', 'colPairs', 'inner', 'tileCols'];
  // Column pair j of B starts at texel j ('nn', stepping a row of ⌈C/2⌉) or j·⌈inner/2⌉ ('nt', stepping 1).
  const [bStart, bStep, swizzleB] = transposeB ? [' * halfInner', '1', '.xzyw'] : ['', 'colPairs', ''];
  const source = `${tiledShaderStart(rowTexels, colTexels, ints)}
      int tileRows = (rowPairs + ${rowTexels - 1}) / ${rowTexels};
      int halfInner = (inner + 1) / 2;
      int pairs = inner / 2;
      // Pairs past the edge read the last one again; the gather never reads their texels.
      ${each(rows, (i) => `Walk a${i} = walkFrom(ATexShape, min(tileRow + ${i} * tileRows, rowPairs - 1) * halfInner, 1);`)}
      ${each(cols, (j) => `Walk b${j} = walkFrom(BTexShape, min(tileCol + ${j} * tileCols, colPairs - 1)${bStart}, ${bStep});`)}
      ${each(tiles, ([i, j]) => `vec4 c${i}${j} = vec4(0.0);`)}
      for (int s = 0; s < pairs; s++) {
        ${each(rows, (i) => `vec4 x${i} = fetch(A, a${i});`)}
        ${each(cols, (j) => `vec4 w${j} = fetch(B, b${j})${swizzleB};`)}
        ${each(tiles, ([i, j]) => `c${i}${j} += x${i}.xxzz * w${j}.xyxy + x${i}.yyww * w${j}.zwzw;`)}
        ${each(rows, (i) => `advance(a${i});`)}
        ${each(cols, (j) => `advance(b${j});`)}
      }
      if (pairs < halfInner) {
        // Odd inner size: the last texels' second inner lane lies past the edge.
        ${each(rows, (i) => `vec4 x${i} = fetch(A, a${i});`)}
        ${each(cols, (j) => `vec4 w${j} = fetch(B, b${j})${swizzleB};`)}
        ${each(tiles, ([i, j]) => `c${i}${j} += x${i}.xxzz * w${j}.xyxy;`)}
      }
      ${each(tiles, ([i, j]) => `t${i}${j} = c${i}${j};`)}
    }`;
  return {
    key: `GemmTiles${rowTexels}x${colTexels}${transposeB ? 'nt' : 'nn'}`, source, samplers: ['A', 'B'],
    intUniforms: ints, targets: rowTexels * colTexels,
  };
}
