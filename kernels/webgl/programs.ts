/**
 * Our GPGPU programs for tfjs's webgl backend: im2col, a packed (RGBA)
 * GEMM with the fused epilogue, the split-K reduction, col2im, the layout
 * transposes and the pooling programs.
 *
 * Every program is run with `backend.runWebGLProgram`. Geometry (sizes,
 * strides, paddings, dilations) reaches the shader as uniforms, and
 * `enableShapeUniforms` makes tfjs pass tensor shapes as uniforms too, so a
 * new shape reuses the compiled shader. Only structural choices (data format,
 * activation, whether there is a bias) change the shader source.
 *
 * Packed textures hold 2x2 blocks of the last two dimensions in one RGBA
 * texel: .x = (r, c), .y = (r, c+1), .z = (r+1, c), .w = (r+1, c+1).
 */
import { env } from '@tensorflow/tfjs-core';
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

type Uniform = NonNullable<GPGPUProgram['customUniforms']>[number];

export type Activation = 'linear' | 'relu' | 'prelu' | 'elu' | 'relu6' | 'leakyrelu' | 'sigmoid';

function webglVersion(): number {
  return env().getNumber('WEBGL_VERSION');
}

/**
 * A `for` loop over a uniform bound. WebGL2 (GLSL ES 3.0) takes the bound
 * directly; WebGL1 needs a constant bound, so the loop breaks out instead.
 */
function forTo(i: string, bound: string): string {
  if (webglVersion() === 2) return `for (int ${i} = 0; ${i} < ${bound}; ${i}++) {`;
  return `for (int ${i} = 0; ${i} < 1000000; ${i}++) { if (${i} >= ${bound}) break;`;
}

/** GLSL `float activate(float v, float alpha)` with tfjs's definitions. */
function activationGlsl(activation: Activation): string {
  const body: Record<Activation, string> = {
    linear: 'return v;',
    relu: 'return v < 0.0 ? 0.0 : v;',
    relu6: 'return v < 0.0 ? 0.0 : (v > 6.0 ? 6.0 : v);',
    elu: 'return v >= 0.0 ? v : exp(v) - 1.0;',
    leakyrelu: 'return v < 0.0 ? alpha * v : v;',
    prelu: 'return v < 0.0 ? alpha * v : v;',
    sigmoid: 'return 1.0 / (1.0 + exp(-v));',
  };
  return `float activate(float v, float alpha) { ${body[activation]} }`;
}

/** What FusedConv2D adds after the GEMM: bias, then the activation. */
export interface EpilogueSpec {
  activation: Activation;
  hasBias: boolean;
  /** prelu only: the alpha tensor is an extra input named `alpha`. */
  hasAlpha: boolean;
  /** Unpacked NCHW output: a 1-D operand of length outC lines up with the channel axis. */
  biasPerChannel?: boolean;
  alphaPerChannel?: boolean;
}

function epilogueInputs(e: EpilogueSpec | null): string[] {
  const names: string[] = [];
  if (e?.hasBias) names.push('bias');
  if (e?.hasAlpha) names.push('alpha');
  return names;
}

/** Packed epilogue: `vec4 epilogue(vec4 v)` using tfjs's broadcasting samplers at output coords. */
function packedEpilogueGlsl(e: EpilogueSpec | null): string {
  if (e === null) return 'vec4 epilogue(vec4 v) { return v; }';
  return `
    ${activationGlsl(e.activation)}
    vec4 epilogue(vec4 v) {
      ${e.hasBias ? 'v += getBiasAtOutCoords();' : ''}
      vec4 a = ${e.hasAlpha ? 'getAlphaAtOutCoords()' : 'vec4(leakyAlpha)'};
      return vec4(activate(v.x, a.x), activate(v.y, a.y), activate(v.z, a.z), activate(v.w, a.w));
    }`;
}


/**
 * GLSL helpers that walk a packed texture texel by texel. A packed tensor
 * [B, R, C] stores texel (b, r/2, c/2) at flat index b·⌈R/2⌉·⌈C/2⌉ + (r/2)·⌈C/2⌉ + c/2,
 * row-major over the texture. The GEMM loops step that index by a constant,
 * so they keep (column, row) and add instead of dividing on every fetch —
 * tfjs's generic samplers divide by the (uniform) texture width each time.
 */
function texelWalkGlsl(): string {
  const texture = webglVersion() === 2 ? 'texture' : 'texture2D';
  return `
    struct Walk { int col; int row; int stepCol; int stepRow; int width; vec2 inv; };
    Walk walkFrom(ivec2 texShape, int index, int step) {
      int width = (texShape.y + 1) / 2;
      int height = (texShape.x + 1) / 2;
      Walk w;
      w.width = width;
      w.row = index / width;
      w.col = index - w.row * width;
      w.stepRow = step / width;
      w.stepCol = step - w.stepRow * width;
      w.inv = 1.0 / vec2(width, height);
      return w;
    }
    void advance(inout Walk w) {
      w.col += w.stepCol;
      w.row += w.stepRow;
      if (w.col >= w.width) { w.col -= w.width; w.row += 1; }
    }
    vec4 fetch(sampler2D tex, Walk w) {
      return ${texture}(tex, (vec2(w.col, w.row) + 0.5) * w.inv);
    }`;
}

const leakyUniform: Uniform = { name: 'leakyAlpha', type: 'float' };

/**
 * im2col: x (unpacked, NHWC or NCHW) → the packed matrix [N, outH, outW, K],
 * K = filterH·filterW·inC ordered (fh, fw, c) like tfjs filters; entries that
 * fall in the padding are 0, and so are the lanes past the matrix edge.
 */
export class Im2colProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms: Uniform[] = [
    { name: 'inSize', type: 'ivec3' }, // inH, inW, inC
    { name: 'filt', type: 'ivec2' }, // filterH, filterW
    { name: 'strideDil', type: 'ivec4' }, // strideH, strideW, dilationH, dilationW
    { name: 'padTL', type: 'ivec2' }, // padTop, padLeft
  ];

  constructor(outShape: [number, number, number, number], channelsLast: boolean) {
    this.outputShape = outShape;
    const read = channelsLast ? 'getX(n, ih, iw, c)' : 'getX(n, c, ih, iw)';
    this.userCode = `
      float colValue(int n, int oh, int ow, int k) {
        int c = imod(k, inSize.z);
        int f = k / inSize.z;
        int fw = imod(f, filt.y);
        int fh = f / filt.y;
        int ih = oh * strideDil.x - padTL.x + fh * strideDil.z;
        int iw = ow * strideDil.y - padTL.y + fw * strideDil.w;
        if (ih < 0 || ih >= inSize.x || iw < 0 || iw >= inSize.y) return 0.0;
        return ${read};
      }
      void main() {
        ivec4 rc = getOutputCoords();
        int outW = outShape[2];
        int K = outShape[3];
        vec4 r = vec4(0.0);
        r.x = colValue(rc.x, rc.y, rc.z, rc.w);
        if (rc.w + 1 < K) r.y = colValue(rc.x, rc.y, rc.z, rc.w + 1);
        if (rc.z + 1 < outW) {
          r.z = colValue(rc.x, rc.y, rc.z + 1, rc.w);
          if (rc.w + 1 < K) r.w = colValue(rc.x, rc.y, rc.z + 1, rc.w + 1);
        }
        setOutput(r);
      }`;
  }
}

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
  customUniforms: Uniform[] = [{ name: 'inner', type: 'int' }, leakyUniform];

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
    { name: 'batches', type: 'int' }, // total batches nb
    { name: 'perSplit', type: 'int' }, // batches per split
    { name: 'rows', type: 'int' }, // rows per batch
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
        int halfRows = (rows + 1) / 2;
        int b0 = rc.x * perSplit;
        int nb = batches - b0;
        if (nb > perSplit) nb = perSplit;
        int steps = nb * halfRows;
        int halfK = (outShape[2] + 1) / 2;
        int halfO = (outShape[3] + 1) / 2;
        Walk wa = walkFrom(ATexShape, b0 * halfRows * halfK + k / 2, halfK);
        Walk wb = walkFrom(BTexShape, b0 * halfRows * halfO + o / 2, halfO);
        bool oddRows = 2 * halfRows > rows;
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
  customUniforms: Uniform[] = [{ name: 'splits', type: 'int' }, { name: 'pCols', type: 'int' }];

  constructor(outShape: [number, number, number, number]) {
    this.outputShape = outShape;
    this.userCode = `
      float sumAt(int at) {
        int row = at / pCols;
        int col = at - row * pCols;
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

/**
 * col2im: the packed column gradient dcol [N·outH, outW, K] summed back
 * into the image gradient (unpacked, NHWC or NCHW) — the transpose of im2col.
 */
export class Col2imProgram implements GPGPUProgram {
  variableNames = ['dcol'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = false;
  enableShapeUniforms = true;
  customUniforms: Uniform[] = [
    { name: 'outSize', type: 'ivec3' }, // outH, outW, inC
    { name: 'filt', type: 'ivec2' },
    { name: 'strideDil', type: 'ivec4' },
    { name: 'padTL', type: 'ivec2' },
  ];

  constructor(inShape: [number, number, number, number], channelsLast: boolean) {
    this.outputShape = inShape;
    const coords = channelsLast
      ? 'int n = o.x; int h = o.y; int w = o.z; int c = o.w;'
      : 'int n = o.x; int c = o.y; int h = o.z; int w = o.w;';
    this.userCode = `
      void main() {
        ivec4 o = getOutputCoords();
        ${coords}
        float acc = 0.0;
        ${forTo('fh', 'filt.x')}
          int ohs = h + padTL.x - fh * strideDil.z;
          if (ohs < 0) break;
          int oh = ohs / strideDil.x;
          if (oh * strideDil.x != ohs || oh >= outSize.x) continue;
          ${forTo('fw', 'filt.y')}
            int ows = w + padTL.y - fw * strideDil.w;
            if (ows < 0) break;
            int ow = ows / strideDil.y;
            if (ow * strideDil.y != ows || ow >= outSize.y) continue;
            int b = n * outSize.x + oh;
            int k = (fh * filt.y + fw) * outSize.z + c;
            acc += getChannel(getDcol(b, ow, k), vec2(ow, k));
          }
        }
        setOutput(acc);
      }`;
  }
}

/**
 * NHWC ↔ NCHW (unpacked). 'toNCHW' can apply the FusedConv2D epilogue on
 * the way (bias broadcast against the NCHW output).
 */
export class TransposeProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = false;
  enableShapeUniforms = true;
  customUniforms: Uniform[] = [leakyUniform];

  constructor(outShape: [number, number, number, number], to: 'NCHW' | 'NHWC', epilogue: EpilogueSpec | null) {
    this.variableNames = ['x', ...epilogueInputs(epilogue)];
    this.outputShape = outShape;
    const read = to === 'NCHW' ? 'getX(o.x, o.z, o.w, o.y)' : 'getX(o.x, o.w, o.y, o.z)';
    // Channel index of the output: axis 1 in NCHW.
    const operand = (name: 'Bias' | 'Alpha', perChannel: boolean | undefined) =>
      perChannel ? `get${name}(o.y)` : `get${name}AtOutCoords()`;
    const e = epilogue;
    this.userCode = `
      ${e ? activationGlsl(e.activation) : ''}
      void main() {
        ivec4 o = getOutputCoords();
        float v = ${read};
        ${e?.hasBias ? `v += ${operand('Bias', e.biasPerChannel)};` : ''}
        ${e ? `v = activate(v, ${e.hasAlpha ? operand('Alpha', e.alphaPerChannel) : 'leakyAlpha'});` : ''}
        setOutput(v);
      }`;
  }
}

/** Pool geometry uniforms shared by the pooling programs. */
const poolUniforms: Uniform[] = [
  { name: 'inHW', type: 'ivec2' },
  { name: 'outHW', type: 'ivec2' },
  { name: 'filt', type: 'ivec2' },
  { name: 'strideDil', type: 'ivec4' },
  { name: 'padTL', type: 'ivec2' },
  { name: 'negInf', type: 'float' },
];

/**
 * MaxPool / AvgPool forward over x [N, H, W, C] (unpacked), and 'argmax':
 * the window offset fh·filterW + fw of the first maximum (-1 when no value
 * beats -Infinity), which MaxPoolGrad routes the gradient to. NaN never wins
 * the `>` comparison, as in tfjs cpu. AvgPool divides by the in-bounds count.
 */
export class PoolProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = false;
  enableShapeUniforms = true;
  customUniforms = poolUniforms;

  constructor(outShape: [number, number, number, number], mode: 'max' | 'avg' | 'argmax') {
    this.outputShape = outShape;
    const update = {
      max: 'if (v > best) best = v;',
      argmax: 'if (v > best) { best = v; pos = float(fh * filt.y + fw); }',
      avg: 'sum += v; count += 1.0;',
    }[mode];
    const result = { max: 'best', argmax: 'pos', avg: 'sum / count' }[mode];
    this.userCode = `
      void main() {
        ivec4 o = getOutputCoords();
        int h0 = o.y * strideDil.x - padTL.x;
        int w0 = o.z * strideDil.y - padTL.y;
        float best = negInf;
        float pos = -1.0;
        float sum = 0.0;
        float count = 0.0;
        ${forTo('fh', 'filt.x')}
          int ih = h0 + fh * strideDil.z;
          if (ih < 0 || ih >= inHW.x) continue;
          ${forTo('fw', 'filt.y')}
            int iw = w0 + fw * strideDil.w;
            if (iw < 0 || iw >= inHW.y) continue;
            float v = getX(o.x, ih, iw, o.w);
            ${update}
          }
        }
        setOutput(${result});
      }`;
  }
}

/**
 * Pool gradients into dx [N, H, W, C] (unpacked): for each input pixel, the
 * windows that contain it.
 *  - 'max': inputs dy and pos (from PoolProgram 'argmax'); dy flows where
 *    pos names this pixel's offset in the window.
 *  - 'avg': input dy; each window passes dy / (its in-bounds pixel count).
 */
export class PoolGradProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = false;
  enableShapeUniforms = true;
  customUniforms = poolUniforms;

  constructor(inShape: [number, number, number, number], mode: 'max' | 'avg') {
    this.variableNames = mode === 'max' ? ['dy', 'pos'] : ['dy'];
    this.outputShape = inShape;
    const contribution = mode === 'max'
      ? `if (getPos(n, oh, ow, c) == float(fh * filt.y + fw)) acc += getDy(n, oh, ow, c);`
      : `acc += getDy(n, oh, ow, c) / float(inRange(oh * strideDil.x - padTL.x, filt.x, strideDil.z, inHW.x) *
                                             inRange(ow * strideDil.y - padTL.y, filt.y, strideDil.w, inHW.y));`;
    this.userCode = `
      // How many t in [0, n) have 0 <= start + t·d < size.
      int inRange(int start, int n, int d, int size) {
        int tLo = start >= 0 ? 0 : (d - 1 - start) / d;
        int last = size - 1 - start;
        if (last < 0) return 0;
        int tHi = last / d;
        if (tHi > n - 1) tHi = n - 1;
        return tHi >= tLo ? tHi - tLo + 1 : 0;
      }
      void main() {
        ivec4 o = getOutputCoords();
        int n = o.x; int h = o.y; int w = o.z; int c = o.w;
        float acc = 0.0;
        ${forTo('fh', 'filt.x')}
          int ohs = h + padTL.x - fh * strideDil.z;
          if (ohs < 0) break;
          int oh = ohs / strideDil.x;
          if (oh * strideDil.x != ohs || oh >= outHW.x) continue;
          ${forTo('fw', 'filt.y')}
            int ows = w + padTL.y - fw * strideDil.w;
            if (ows < 0) break;
            int ow = ows / strideDil.y;
            if (ow * strideDil.y != ows || ow >= outHW.y) continue;
            ${contribution}
          }
        }
        setOutput(acc);
      }`;
  }
}
