import { texelWalkGlsl } from './glsl';

/** Joins `f` of each element, one per line (the unrolled parts of a tiled shader). */
export function each<T>(xs: readonly T[], f: (x: T) => string): string {
  return xs.map(f).join('\n');
}

/** The texel rows, columns and (row, column) pairs of a rowTexels × colTexels tile. */
export function tileParts(rowTexels: number, colTexels: number) {
  const rows = [...Array(rowTexels).keys()];
  const cols = [...Array(colTexels).keys()];
  return { rows, cols, tiles: rows.flatMap((i) => cols.map((j) => [i, j] as const)) };
}

/**
 * What the tiled GEMM shaders share (drawToTargets programs, GLSL ES 3.00): operands A and B with their
 * texShapes, the int uniforms `ints` (tileCols among them), output `t<i><j>` at location i·colTexels + j,
 * the texel walk, and the start of main() up to this fragment's `tileRow` and `tileCol`.
 */
export function tiledShaderStart(rowTexels: number, colTexels: number, ints: string[]): string {
  const { tiles } = tileParts(rowTexels, colTexels);
  return `#version 300 es
    precision highp float;
    precision highp int;
    precision highp sampler2D;
    uniform sampler2D A;
    uniform sampler2D B;
    uniform ivec2 ATexShape;
    uniform ivec2 BTexShape;
    uniform ivec2 outTexels;
    ${each(ints, (u) => `uniform int ${u};`)}
    ${each(tiles, ([i, j]) => `layout(location = ${i * colTexels + j}) out vec4 t${i}${j};`)}
    ${texelWalkGlsl()}
    void main() {
      ivec2 xy = ivec2(gl_FragCoord.xy);
      int index = xy.y * outTexels.x + xy.x;
      int tileRow = index / tileCols;
      int tileCol = index - tileRow * tileCols;`;
}
