import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { ConvGeometry } from '../../core/geometry';
import { tapOutputRange } from './DepthwiseBackpropFilterProgram';
import { forTo, Uniform } from './glsl';

/**
 * DepthwiseConv2dNativeBackpropFilter for channel multiplier 1 (dilation 1), a packed output texel per fragment:
 * taps fw, fw+1 of filter row fh for channels c, c+1 — out [filterH, filterW, C] packed, the filter gradient's
 * own layout (the kernel returns it viewed as [filterH, filterW, C, 1]). x and dy are read unpacked, as by
 * DepthwiseBackpropFilterProgram, but each value read serves both taps:
 *  - stride 1: the walk goes along x's row; column iw meets dy column ow = iw + padLeft − fw for tap fw and
 *    ow − 1 for tap fw+1, the dy value read one step before (one x and one dy read per two products);
 *  - other strides: dy column ow meets x columns ow·strideW − padLeft + fw and the one after (one dy and two x
 *    reads per two products).
 * Reads outside x and dy are skipped (the value counts as zero). The geometry is compiled in.
 */
export class DepthwiseBackpropFilterPairsProgram implements GPGPUProgram {
  variableNames = ['x', 'dy'];
  outputShape: number[];
  userCode: string;
  packedInputs = false;
  packedOutput = true;
  enableShapeUniforms = false;
  customUniforms: Uniform[] = [];

  constructor(g: ConvGeometry) {
    this.outputShape = [g.filterH, g.filterW, g.inC];
    const { inW, outW, strideW, padLeft } = g;
    // Reads of channels c and c+1 (c1: the last channel again when c+1 is past the end; its sums are dropped).
    const read = (name: string, n: string, h: string, w: string) =>
      `vec2(get${name}(${n}, ${h}, ${w}, c), get${name}(${n}, ${h}, ${w}, c1))`;
    const columns = strideW === 1 ? `
            // Columns of x that either tap reads: tap fw at ow = 0 .. tap fw+1 at ow = outW − 1.
            int iwLo = fw - ${padLeft} < 0 ? 0 : fw - ${padLeft};
            int iwHi = ${outW - 1 - padLeft} + fw + 1;
            if (iwHi > ${inW - 1}) iwHi = ${inW - 1};
            int ow = iwLo + ${padLeft} - fw;
            vec2 dPrev = ow - 1 >= 0 && ow - 1 < ${outW} ? ${read('Dy', 'n', 'oh', 'ow - 1')} : vec2(0.0);
            ${forTo('k', 'iwHi - iwLo + 1')}
              int iw = iwLo + k;
              vec2 xv = ${read('X', 'n', 'ih', 'iw')};
              vec2 d = ow < ${outW} ? ${read('Dy', 'n', 'oh', 'ow')} : vec2(0.0);
              tap0 += xv * d;
              tap1 += xv * dPrev;
              dPrev = d;
              ow++;
            }` : `
            // dy columns either tap meets: tap fw+1's first .. tap fw's last.
            int owLo = ${padLeft} - fw - 1 <= 0 ? 0 : (${padLeft} - fw - 1 + ${strideW - 1}) / ${strideW};
            int owTop = ${inW - 1 + padLeft} - fw;
            int owHi = owTop < 0 ? -1 : owTop / ${strideW};
            if (owHi > ${outW - 1}) owHi = ${outW - 1};
            ${forTo('k', 'owHi - owLo + 1')}
              int ow = owLo + k;
              int iw = ow * ${strideW} - ${padLeft} + fw;
              vec2 d = ${read('Dy', 'n', 'oh', 'ow')};
              if (iw >= 0) tap0 += ${read('X', 'n', 'ih', 'iw')} * d;
              if (iw + 1 < ${inW}) tap1 += ${read('X', 'n', 'ih', 'iw + 1')} * d;
            }`;
    this.userCode = `
      // tfjs-im2col DepthwiseBackpropFilterPairs
      void main() {
        ivec3 f = getOutputCoords();
        int fh = f.x;
        int fw = f.y;
        int c = f.z;
        int c1 = c + 1 < ${g.inC} ? c + 1 : c;
        ${tapOutputRange('oh', 'fh', g.padTop, g.strideH, g.inH, g.outH)}
        vec2 tap0 = vec2(0.0);
        vec2 tap1 = vec2(0.0);
        for (int n = 0; n < ${g.batch}; n++) {
          ${forTo('i', 'ohCount')}
            int oh = ohLo + i;
            int ih = oh * ${g.strideH} - ${g.padTop} + fh;
            ${columns}
          }
        }
        // Texel: (fw, c), (fw, c+1), (fw+1, c), (fw+1, c+1); past the filter or the channels, zero.
        if (fw + 1 >= ${g.filterW}) tap1 = vec2(0.0);
        if (c + 1 >= ${g.inC}) { tap0.y = 0.0; tap1.y = 0.0; }
        setOutput(vec4(tap0, tap1));
      }`;
  }
}
