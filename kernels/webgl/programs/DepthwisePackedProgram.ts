import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { EpilogueSpec, epilogueInputs, leakyAlphaUniform, packedEpilogueGlsl, Uniform } from './glsl';

/**
 * What DepthwisePackedProgram computes, all constants of one call:
 * out[n, r, col, c] = Σ_taps x[n, r·rowStride + tap.rowOff, col·colStride + tap.colOff, c] · W[tap.k, c]
 * over the taps whose read position lies inside x (rows [0, readH), columns [0, readW)).
 *  - forward (channel multiplier 1): rowOff = fh·dilationH − padTop, colOff = fw·dilationW − padLeft,
 *    strides the convolution's;
 *  - input gradient at stride 1 (multiplier 1): x is dy, rowOff = padTop − fh·dilationH,
 *    colOff = padLeft − fw·dilationW, strides 1.
 */
export interface DepthwisePackedSpec {
  /** Output [N, outH, outW, C]. */
  outShape: [number, number, number, number];
  /** Height and width of the tensor read (x, or dy for the input gradient). */
  readH: number;
  readW: number;
  rowStride: number;
  colStride: number;
  /** Filter taps grouped by filter row, in (fh, fw) order; k = fh·filterW + fw indexes the [taps, C] filter view. */
  rows: Array<{ rowOff: number; taps: Array<{ colOff: number; k: number }> }>;
  /** Number of taps (rows of the filter view). */
  taps: number;
}

const floorDiv2 = (v: number) => Math.floor(v / 2);
const parityHalf = (v: number) => (((v % 2) + 2) % 2 === 0 ? 'xy' : 'zw');
const texelName = (t: number) => (t < 0 ? `tm${-t}` : `t${t}`);

/**
 * Depthwise convolution with packed input, filter and output, generated for one geometry (every size,
 * stride, dilation and padding is a constant, the taps are unrolled): an output texel holds two adjacent
 * output columns × two adjacent channels, so each fetched input texel (two columns × two channels) serves up
 * to four products and each filter texel (two taps × two channels) two taps. Output columns come in even
 * pairs, so which half of an input texel a tap reads is known when the shader is generated: the inner code is
 * straight-line multiply-adds with no index arithmetic. Reads outside the input are zero (padding), tested
 * only where the geometry can leave the input. Optionally applies FusedDepthwiseConv2D's epilogue.
 *
 * Inputs: `x` [N, readH, readW, C] (packed), `W` the filter as [taps, C] (packed), then the epilogue's.
 */
export class DepthwisePackedProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = false;
  customUniforms: Uniform[];

  constructor(spec: DepthwisePackedSpec, epilogue: EpilogueSpec | null) {
    this.variableNames = ['x', 'W', ...epilogueInputs(epilogue)];
    this.outputShape = spec.outShape;
    this.customUniforms = epilogue ? [leakyAlphaUniform] : [];
    const [, outH, outW] = spec.outShape;
    const { readH, readW, rowStride, colStride } = spec;
    // Largest first column of an output texel (columns come in even pairs).
    const lastColBase = 2 * Math.floor((outW - 1) / 2) * colStride;
    const lastRowBase = (outH - 1) * rowStride;
    const lines: string[] = [];
    for (let j = 0; j < Math.ceil(spec.taps / 2); j++) lines.push(`vec4 w${j} = getW(${2 * j}, c);`);
    for (const row of spec.rows) {
      const rowCheck = row.rowOff < 0 || lastRowBase + row.rowOff >= readH;
      const body: string[] = [];
      // Texels this row reads, by even column offset from colBase.
      const texels = new Set<number>();
      for (const tap of row.taps) {
        texels.add(2 * floorDiv2(tap.colOff));
        texels.add(2 * floorDiv2(tap.colOff + colStride));
      }
      for (const t of [...texels].sort((a, b) => a - b)) {
        const conds: string[] = [];
        if (t < 0) conds.push(`cc >= 0`);
        if (lastColBase + t >= readW) conds.push(`cc < ${readW}`);
        const fetch = `getX(n, r, cc, c)`;
        body.push(`cc = colBase + ${t};`);
        body.push(`vec4 ${texelName(t)} = ${conds.length ? `(${conds.join(' && ')}) ? ${fetch} : vec4(0.0)` : fetch};`);
        // The second column of the texel past the input's edge (odd width).
        if (lastColBase + t + 1 >= readW) body.push(`if (cc + 1 >= ${readW}) ${texelName(t)}.zw = vec2(0.0);`);
      }
      for (const tap of row.taps) {
        const a = `${texelName(2 * floorDiv2(tap.colOff))}.${parityHalf(tap.colOff)}`;
        const b = `${texelName(2 * floorDiv2(tap.colOff + colStride))}.${parityHalf(tap.colOff + colStride)}`;
        const w = `w${tap.k >> 1}.${tap.k % 2 === 0 ? 'xyxy' : 'zwzw'}`;
        body.push(`acc += vec4(${a}, ${b}) * ${w};`);
      }
      lines.push(`r = rowBase + ${row.rowOff};`);
      lines.push(rowCheck ? `if (r >= 0 && r < ${readH}) {` : '{');
      lines.push(...body.map((l) => `  ${l}`));
      lines.push('}');
    }
    this.userCode = `
      // tfjs-im2col DepthwisePacked
      ${packedEpilogueGlsl(epilogue)}
      void main() {
        ivec4 o = getOutputCoords();
        int n = o.x;
        int c = o.w;
        int rowBase = o.y * ${rowStride};
        int colBase = o.z * ${colStride};
        int r;
        int cc;
        vec4 acc = vec4(0.0);
        ${lines.join('\n        ')}
        setOutput(epilogue(acc));
      }`;
  }
}
