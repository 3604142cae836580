import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { forTo, Uniform, WINDOW_UNIFORMS } from './glsl';

/** The pooling programs' uniforms: the window geometry, and -Infinity (GLSL has no literal for it). */
export const POOL_UNIFORMS: Uniform[] = [...WINDOW_UNIFORMS, { name: 'minusInfinity', type: 'float' }];

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
  customUniforms = POOL_UNIFORMS;

  constructor(outShape: [number, number, number, number], mode: 'max' | 'avg' | 'argmax') {
    this.outputShape = outShape;
    const update = {
      max: 'if (v > best) best = v;',
      argmax: 'if (v > best) { best = v; pos = float(fh * filterSize.y + fw); }',
      avg: 'sum += v; count += 1.0;',
    }[mode];
    const result = { max: 'best', argmax: 'pos', avg: 'sum / count' }[mode];
    this.userCode = `
      void main() {
        ivec4 o = getOutputCoords();
        int h0 = o.y * stride.x - padTopLeft.x;
        int w0 = o.z * stride.y - padTopLeft.y;
        float best = minusInfinity;
        float pos = -1.0;
        float sum = 0.0;
        float count = 0.0;
        ${forTo('fh', 'filterSize.x')}
          int ih = h0 + fh * dilation.x;
          if (ih < 0 || ih >= inputSize.x) continue;
          ${forTo('fw', 'filterSize.y')}
            int iw = w0 + fw * dilation.y;
            if (iw < 0 || iw >= inputSize.y) continue;
            float v = getX(o.x, ih, iw, o.w);
            ${update}
          }
        }
        setOutput(${result});
      }`;
  }
}
