import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { Uniform, windowGeometryGlsl } from './glsl';
import { poolUniforms, windowWalkGlsl } from './PoolProgram';

/**
 * PoolProgram 'max' and 'avg' on packed textures: x packed [N, H, W, C] (a convolution's output), y packed.
 * A fragment writes output columns ow, ow+1 for channels c, c+1; each window tap is one texel read giving both
 * channels. Same rules: the largest value by `>` from −Infinity (NaN never wins); the mean over the in-bounds
 * pixels. Always specialised: `g` is compiled in.
 */
export class PoolPackedProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = false;
  customUniforms: Uniform[] = poolUniforms(true);

  constructor(outShape: [number, number, number, number], mode: 'max' | 'avg', g: ConvGeometry) {
    this.outputShape = outShape;
    const update = mode === 'max' ? 'if (v.x > best.x) best.x = v.x; if (v.y > best.y) best.y = v.y;'
      : 'sum += v; count += 1.0;';
    this.userCode = `
      ${windowGeometryGlsl(g)}
      // Window (n, oh, ow)'s ${mode === 'max' ? 'maximum' : 'mean'} for channels c and c+1.
      vec2 pool(int n, int oh, int ow, int c) {
        ivec4 o = ivec4(n, oh, ow, c);
        vec2 best = vec2(minusInfinity);
        vec2 sum = vec2(0.0);
        float count = 0.0;
        ${windowWalkGlsl('o', update, true)}
        return ${mode === 'max' ? 'best' : 'sum / count'};
      }
      void main() {
        ivec4 o = getOutputCoords();
        vec4 r = vec4(pool(o.x, o.y, o.z, o.w), o.z + 1 < outputSize.y ? pool(o.x, o.y, o.z + 1, o.w) : vec2(0.0));
        if (o.w + 1 >= inChannels) r.yw = vec2(0.0);
        setOutput(r);
      }`;
  }
}
