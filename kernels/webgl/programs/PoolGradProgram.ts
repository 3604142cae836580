import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { forEachWindowContaining, Uniform, WINDOW_COUNT_GLSL, windowGeometryGlsl } from './glsl';
import { poolUniforms } from './PoolProgram';

/**
 * Pool gradients into dx [N, H, W, C] (unpacked): for each input pixel, the
 * windows that contain it.
 *  - 'max': inputs dy and pos (from PoolProgram 'argmax'); dy flows where
 *    pos names this pixel's offset in the window.
 *  - 'avg': input dy; each window passes dy / (its in-bounds pixel count).
 * With a geometry `g` the variant is specialised (see ./variants.ts); `dilated`
 * says whether some dilation exceeds 1 (see forEachWindowContaining).
 */
export class PoolGradProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = false;
  enableShapeUniforms: boolean;
  customUniforms: Uniform[];

  constructor(inShape: [number, number, number, number], mode: 'max' | 'avg', g: ConvGeometry | null, dilated: boolean) {
    this.variableNames = mode === 'max' ? ['dy', 'pos'] : ['dy'];
    this.outputShape = inShape;
    this.enableShapeUniforms = g === null;
    this.customUniforms = poolUniforms(g !== null);
    const contribution = mode === 'max'
      ? `if (getPos(n, oh, ow, c) == float(fh * filterSize.y + fw)) acc += getDy(n, oh, ow, c);`
      : 'acc += getDy(n, oh, ow, c) / windowCount(oh, ow);';
    this.userCode = `
      ${windowGeometryGlsl(g)}
      ${mode === 'avg' ? WINDOW_COUNT_GLSL : ''}
      void main() {
        ivec4 o = getOutputCoords();
        int n = o.x; int h = o.y; int w = o.z; int c = o.w;
        float acc = 0.0;
        ${forEachWindowContaining('h', 'w', contribution, dilated)}
        setOutput(acc);
      }`;
  }
}
