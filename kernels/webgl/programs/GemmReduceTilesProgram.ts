import type { MultiTargetProgram } from '../multi_target';
import { each, tiledShaderStart, tileParts } from './tiles';

/**
 * GemmReduceRowsProgram (Conv2DBackpropFilter's out[s][k][o] = Σ_{b in split s} Σ_w A[b][w][k] · B[b][w][o])
 * writing rowTexels × colTexels output texels per fragment, one per render target, strided as
 * gemmTilesProgram's within each split: split s owns target rows [s·tilesPerSplit, (s + 1)·tilesPerSplit),
 * tilesPerSplit = ⌈⌈K/2⌉ / rowTexels⌉, and its fragment q computes K pairs q + a·tilesPerSplit.
 */
export function gemmReduceTilesProgram(rowTexels: number, colTexels: number): MultiTargetProgram {
  const { rows, cols, tiles } = tileParts(rowTexels, colTexels);
  const ints = ['batches', 'batchesPerSplit', 'rowsPerBatch', 'halfK', 'halfO', 'tileCols'];
  const source = `${tiledShaderStart(rowTexels, colTexels, ints)}
      int tilesPerSplit = (halfK + ${rowTexels - 1}) / ${rowTexels};
      int split = tileRow / tilesPerSplit;
      int kTile = tileRow - split * tilesPerSplit;
      int halfRows = (rowsPerBatch + 1) / 2;
      int firstBatch = split * batchesPerSplit;
      int nb = clamp(batches - firstBatch, 0, batchesPerSplit);
      int steps = nb * halfRows;
      // Pairs past the edge read the last one again; the gather never reads their texels.
      ${each(rows, (i) => `Walk a${i} = walkFrom(ATexShape, firstBatch * halfRows * halfK + min(kTile + ${i} * tilesPerSplit, halfK - 1), halfK);`)}
      ${each(cols, (j) => `Walk b${j} = walkFrom(BTexShape, firstBatch * halfRows * halfO + min(tileCol + ${j} * tileCols, halfO - 1), halfO);`)}
      ${each(tiles, ([i, j]) => `vec4 c${i}${j} = vec4(0.0);`)}
      bool oddRows = 2 * halfRows > rowsPerBatch;
      int pair = 0;
      for (int s = 0; s < steps; s++) {
        ${each(rows, (i) => `vec4 x${i} = fetch(A, a${i});`)}
        ${each(cols, (j) => `vec4 d${j} = fetch(B, b${j});`)}
        ${each(tiles, ([i, j]) => `c${i}${j} += x${i}.xxyy * d${j}.xyxy;`)}
        pair += 1;
        // The second row of an odd batch's last pair lies past the edge.
        bool second = pair < halfRows || !oddRows;
        if (pair == halfRows) pair = 0;
        if (second) {
          ${each(tiles, ([i, j]) => `c${i}${j} += x${i}.zzww * d${j}.zwzw;`)}
        }
        ${each(rows, (i) => `advance(a${i});`)}
        ${each(cols, (j) => `advance(b${j});`)}
      }
      ${each(tiles, ([i, j]) => `t${i}${j} = c${i}${j};`)}
    }`;
  return {
    key: `GemmReduceTiles${rowTexels}x${colTexels}`, source, samplers: ['A', 'B'],
    intUniforms: ints, targets: rowTexels * colTexels,
  };
}
