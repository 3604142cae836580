/**
 * What our GPGPU programs share: the GLSL snippets (loops over a uniform
 * bound, the activations, the packed-texture walk, the loop over the windows
 * that contain a pixel) and the window geometry uniforms.
 *
 * Every program is run with `backend.runWebGLProgram`. In the generic
 * variant, geometry (sizes, strides, paddings, dilations) reaches the shader
 * as uniforms and `enableShapeUniforms` makes tfjs pass tensor shapes as
 * uniforms too, so a new shape reuses the compiled shader; only structural
 * choices (data format, activation, bias, dilation) change its source. The
 * window programs (im2col, col2im, pools) also come specialised — geometry
 * and shapes compiled in as constants (windowGeometryGlsl), faster on every
 * renderer measured — for at most MAX_VARIANTS geometries each (./variants.ts).
 *
 * Packed textures hold 2x2 blocks of the last two dimensions in one RGBA
 * texel: .x = (r, c), .y = (r, c+1), .z = (r+1, c), .w = (r+1, c+1).
 */
import { env } from '@tensorflow/tfjs-core';
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { Activation } from '../../core/epilogue';
import type { ConvGeometry } from '../../core/geometry';

export type Uniform = NonNullable<GPGPUProgram['customUniforms']>[number];

function webglVersion(): number {
  return env().getNumber('WEBGL_VERSION');
}

/**
 * A `for` loop over a uniform bound. WebGL2 (GLSL ES 3.0) takes the bound
 * directly; WebGL1 needs a constant bound, so the loop breaks out instead.
 */
export function forTo(i: string, bound: string): string {
  if (webglVersion() === 2) return `for (int ${i} = 0; ${i} < ${bound}; ${i}++) {`;
  return `for (int ${i} = 0; ${i} < 1000000; ${i}++) { if (${i} >= ${bound}) break;`;
}

/**
 * The window geometry of a convolution or pooling, as the im2col, col2im and
 * pooling programs read it. A program that does not use one of them leaves it
 * out of its shader; tfjs then skips it.
 */
export const WINDOW_UNIFORMS: Uniform[] = [
  { name: 'inputSize', type: 'ivec2' },
  { name: 'outputSize', type: 'ivec2' },
  { name: 'inChannels', type: 'int' },
  { name: 'filterSize', type: 'ivec2' },
  { name: 'stride', type: 'ivec2' },
  { name: 'dilation', type: 'ivec2' },
  { name: 'padTopLeft', type: 'ivec2' },
];

/**
 * The window geometry as GLSL constants with the uniforms' names, for a
 * specialised variant (see ./variants.ts): the same shader body then reads
 * constants the compiler folds — divisions by a constant stride, loops with a
 * constant bound. `windowInside` is true when no window reaches outside the
 * input, so a forward read may skip its bounds test. Without a geometry (the
 * generic variant, geometry in uniforms) only `windowInside = false`.
 */
export function windowGeometryGlsl(g: ConvGeometry | null): string {
  if (g === null) return 'const bool windowInside = false;';
  const lastH = (g.outH - 1) * g.strideH - g.padTop + (g.filterH - 1) * g.dilationH;
  const lastW = (g.outW - 1) * g.strideW - g.padLeft + (g.filterW - 1) * g.dilationW;
  const inside = g.padTop <= 0 && g.padLeft <= 0 && lastH < g.inH && lastW < g.inW;
  return `
    const ivec2 inputSize = ivec2(${g.inH}, ${g.inW});
    const ivec2 outputSize = ivec2(${g.outH}, ${g.outW});
    const int inChannels = ${g.inC};
    const ivec2 filterSize = ivec2(${g.filterH}, ${g.filterW});
    const ivec2 stride = ivec2(${g.strideH}, ${g.strideW});
    const ivec2 dilation = ivec2(${g.dilationH}, ${g.dilationW});
    const ivec2 padTopLeft = ivec2(${g.padTop}, ${g.padLeft});
    const bool windowInside = ${inside};`;
}

/** Some dilation exceeds 1 (the window loops then take the general path). */
export function isDilated(g: ConvGeometry): boolean {
  return g.dilationH > 1 || g.dilationW > 1;
}

/** What of a geometry a specialised variant's code depends on (its variant key, with the tensor shapes). */
export function geometryKey(g: ConvGeometry): string {
  return [g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.filterH, g.filterW, g.strideH, g.strideW,
    g.dilationH, g.dilationW, g.padTop, g.padLeft, g.channelsLast ? 1 : 0].join(',');
}

/** Values for WINDOW_UNIFORMS, in order. */
export function windowUniformValues(g: ConvGeometry): number[][] {
  return [
    [g.inH, g.inW], [g.outH, g.outW], [g.inC], [g.filterH, g.filterW],
    [g.strideH, g.strideW], [g.dilationH, g.dilationW], [g.padTop, g.padLeft],
  ];
}

/**
 * The loop over every window that contains input pixel (h, w) — the
 * transpose of a window's walk over its pixels, shared by col2im and the pool
 * gradients. `body` sees the window's output position (oh, ow) and the
 * pixel's place in it (fh, fw).
 *
 * Undilated (`dilated` false), the windows containing h are exactly
 * oh ∈ [⌈(h + padTop − filterH + 1) / strideH⌉, ⌊(h + padTop) / strideH⌋] ∩ [0, outH):
 * ⌈filterH / strideH⌉ of them at most, each a hit (2 for a 3×3 stride-2
 * window instead of 3 tries and a divisibility test). Dilated, every filter
 * row is tried and the division checked.
 */
export function forEachWindowContaining(h: string, w: string, body: string, dilated: boolean): string {
  if (!dilated) {
    // t = h + pad ≥ 0 for an input pixel; windows oh with 0 ≤ t − oh·stride < filter.
    const range = (axis: 'x' | 'y', coord: string, o: string) => `
      int t${o} = ${coord} + padTopLeft.${axis};
      int ${o}Hi = t${o} / stride.${axis};
      if (${o}Hi > outputSize.${axis} - 1) ${o}Hi = outputSize.${axis} - 1;
      int ${o}Lo = t${o} < filterSize.${axis} ? 0 : (t${o} - filterSize.${axis}) / stride.${axis} + 1;
      int ${o}Count = ${o}Hi - ${o}Lo + 1;`;
    return `
    ${range('x', h, 'oh')}
    ${range('y', w, 'ow')}
    ${forTo('i', 'ohCount')}
      int oh = ohLo + i;
      int fh = toh - oh * stride.x;
      ${forTo('j', 'owCount')}
        int ow = owLo + j;
        int fw = tow - ow * stride.y;
        ${body}
      }
    }`;
  }
  return `
    ${forTo('fh', 'filterSize.x')}
      int ohStrided = ${h} + padTopLeft.x - fh * dilation.x;
      if (ohStrided < 0) break;
      int oh = ohStrided / stride.x;
      if (oh * stride.x != ohStrided || oh >= outputSize.x) continue;
      ${forTo('fw', 'filterSize.y')}
        int owStrided = ${w} + padTopLeft.y - fw * dilation.y;
        if (owStrided < 0) break;
        int ow = owStrided / stride.y;
        if (ow * stride.y != owStrided || ow >= outputSize.y) continue;
        ${body}
      }
    }`;
}

/** GLSL `float activate(float v, float alpha)` with tfjs's definitions. */
export function activationGlsl(activation: Activation): string {
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

/** The epilogue's input names, after the program's own. */
export function epilogueInputs(e: EpilogueSpec | null): string[] {
  const names: string[] = [];
  if (e?.hasBias) names.push('bias');
  if (e?.hasAlpha) names.push('alpha');
  return names;
}

/** The slope of leakyrelu, for the programs that apply an epilogue. */
export const leakyAlphaUniform: Uniform = { name: 'leakyAlpha', type: 'float' };

/** Packed epilogue: `vec4 epilogue(vec4 v)` using tfjs's broadcasting samplers at output coords. */
export function packedEpilogueGlsl(e: EpilogueSpec | null): string {
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
export function texelWalkGlsl(): string {
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

/**
 * GLSL `float windowCount(int oh, int ow)`: how many of window (oh, ow)'s pixels lie inside the input — what
 * AvgPool divides by, so what its gradient divides dy by. Needs windowGeometryGlsl's names.
 */
export const WINDOW_COUNT_GLSL = `
      // How many t in [0, count) have 0 <= start + t·step < size.
      int inRange(int start, int count, int step, int size) {
        int tLo = start >= 0 ? 0 : (step - 1 - start) / step;
        int last = size - 1 - start;
        if (last < 0) return 0;
        int tHi = last / step;
        if (tHi > count - 1) tHi = count - 1;
        return tHi >= tLo ? tHi - tLo + 1 : 0;
      }
      float windowCount(int oh, int ow) {
        return float(inRange(oh * stride.x - padTopLeft.x, filterSize.x, dilation.x, inputSize.x) *
                     inRange(ow * stride.y - padTopLeft.y, filterSize.y, dilation.y, inputSize.y));
      }`;
