import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { forTo, Uniform, WINDOW_UNIFORMS, windowGeometryGlsl } from './glsl';

/** -Infinity reaches the shaders as a uniform (GLSL has no literal for it). */
export const MINUS_INFINITY: Uniform = { name: 'minusInfinity', type: 'float' };

/** The pooling programs' uniforms: the window geometry (generic variant only), then -Infinity. */
export function poolUniforms(specialised: boolean): Uniform[] {
  return specialised ? [MINUS_INFINITY] : [...WINDOW_UNIFORMS, MINUS_INFINITY];
}

/**
 * The window walk of a pooling forward: `update` runs for every in-bounds
 * pixel value `v` of output (o.x, o.y, o.z, o.w)'s window, at window offset
 * (fh, fw) — with `packed`, `v` is a vec2: channels o.w and o.w + 1. Shared by
 * PoolProgram, PoolGradDirectProgram ('max') and their packed versions.
 */
export function windowWalkGlsl(o: string, update: string, packed = false): string {
  // Packed x: one texel read gives the tap's values for channels o.w and o.w + 1 as the vec2 v.
  const read = packed ? `vec4 t = getX(${o}.x, ih, iw, ${o}.w);
            vec2 v = iw - (iw / 2) * 2 == 0 ? t.xy : t.zw;` : `float v = getX(${o}.x, ih, iw, ${o}.w);`;
  return `
        int h0 = ${o}.y * stride.x - padTopLeft.x;
        int w0 = ${o}.z * stride.y - padTopLeft.y;
        ${forTo('fh', 'filterSize.x')}
          int ih = h0 + fh * dilation.x;
          if (!windowInside && (ih < 0 || ih >= inputSize.x)) continue;
          ${forTo('fw', 'filterSize.y')}
            int iw = w0 + fw * dilation.y;
            if (!windowInside && (iw < 0 || iw >= inputSize.y)) continue;
            ${read}
            ${update}
          }
        }`;
}

/**
 * MaxPool / AvgPool forward over x [N, H, W, C] (unpacked), and 'argmax':
 * the window offset fh·filterW + fw of the first maximum (-1 when no value
 * beats -Infinity), which MaxPoolGrad routes the gradient to. NaN never wins
 * the `>` comparison, as in tfjs cpu. AvgPool divides by the in-bounds count.
 *
 * With a geometry `g` the variant is specialised (geometry and shapes are
 * constants, see ./variants.ts); with null it reads them from uniforms.
 */
export class PoolProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = false;
  enableShapeUniforms: boolean;
  customUniforms: Uniform[];

  constructor(outShape: [number, number, number, number], mode: 'max' | 'avg' | 'argmax', g: ConvGeometry | null) {
    this.outputShape = outShape;
    this.enableShapeUniforms = g === null;
    this.customUniforms = poolUniforms(g !== null);
    const update = {
      max: 'if (v > best) best = v;',
      argmax: 'if (v > best) { best = v; pos = float(fh * filterSize.y + fw); }',
      avg: 'sum += v; count += 1.0;',
    }[mode];
    const result = { max: 'best', argmax: 'pos', avg: 'sum / count' }[mode];
    this.userCode = `
      ${windowGeometryGlsl(g)}
      void main() {
        ivec4 o = getOutputCoords();
        float best = minusInfinity;
        float pos = -1.0;
        float sum = 0.0;
        float count = 0.0;
        ${windowWalkGlsl('o', update)}
        setOutput(${result});
      }`;
  }
}
