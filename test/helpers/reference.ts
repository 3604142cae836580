/**
 * Float64 references written straight from the definitions, with no im2col,
 * no GEMM and no code shared with the kernels: the independent side of the tests.
 */
import { backend_util } from '@tensorflow/tfjs-core';

type Info = backend_util.Conv2DInfo;

/** Index of (n, h, w, c) in an NHWC or NCHW tensor of the given dims. */
function at(nhwc: boolean, H: number, W: number, C: number, n: number, h: number, w: number, c: number): number {
  return nhwc ? ((n * H + h) * W + w) * C + c : ((n * C + c) * H + h) * W + w;
}

/** y[n, oh, ow, oc] = Σ x[n, oh·s − pad + fh·d, ow·s − pad + fw·d, c] · w[fh, fw, c, oc], in float64. */
export function conv2dReference(x: ArrayLike<number>, filter: ArrayLike<number>, info: Info): Float64Array {
  const nhwc = info.dataFormat === 'channelsLast';
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const y = new Float64Array(batchSize * outHeight * outWidth * outChannels);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        for (let oc = 0; oc < outChannels; oc++) {
          let sum = 0;
          for (let fh = 0; fh < info.filterHeight; fh++) {
            const ih = oh * info.strideHeight - info.padInfo.top + fh * info.dilationHeight;
            if (ih < 0 || ih >= inHeight) continue;
            for (let fw = 0; fw < info.filterWidth; fw++) {
              const iw = ow * info.strideWidth - info.padInfo.left + fw * info.dilationWidth;
              if (iw < 0 || iw >= inWidth) continue;
              for (let c = 0; c < inChannels; c++) {
                sum += x[at(nhwc, inHeight, inWidth, inChannels, n, ih, iw, c)] *
                  filter[((fh * info.filterWidth + fw) * inChannels + c) * outChannels + oc];
              }
            }
          }
          y[at(nhwc, outHeight, outWidth, outChannels, n, oh, ow, oc)] = sum;
        }
      }
    }
  }
  return y;
}

/** dx of an average pool whose divisor is the count of in-bounds pixels (TensorFlow's definition), NHWC. */
export function avgPoolGradReference(dy: ArrayLike<number>, info: Info): Float64Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const dx = new Float64Array(batchSize * inHeight * inWidth * inChannels);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const pixels: Array<[number, number]> = [];
        for (let fh = 0; fh < info.filterHeight; fh++) {
          for (let fw = 0; fw < info.filterWidth; fw++) {
            const ih = oh * info.strideHeight - info.padInfo.top + fh;
            const iw = ow * info.strideWidth - info.padInfo.left + fw;
            if (ih >= 0 && ih < inHeight && iw >= 0 && iw < inWidth) pixels.push([ih, iw]);
          }
        }
        for (let c = 0; c < inChannels; c++) {
          const g = dy[((n * outHeight + oh) * outWidth + ow) * inChannels + c] / pixels.length;
          for (const [ih, iw] of pixels) dx[((n * inHeight + ih) * inWidth + iw) * inChannels + c] += g;
        }
      }
    }
  }
  return dx;
}

/** dx of a max pool, NHWC: each dy goes to the first maximum (row-major) of its window's in-bounds pixels. */
export function maxPoolGradReference(x: ArrayLike<number>, dy: ArrayLike<number>, info: Info): Float64Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const dx = new Float64Array(batchSize * inHeight * inWidth * inChannels);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        for (let c = 0; c < inChannels; c++) {
          let best = -Infinity;
          let first = -1;
          for (let fh = 0; fh < info.filterHeight; fh++) {
            for (let fw = 0; fw < info.filterWidth; fw++) {
              const ih = oh * info.strideHeight - info.padInfo.top + fh;
              const iw = ow * info.strideWidth - info.padInfo.left + fw;
              if (ih < 0 || ih >= inHeight || iw < 0 || iw >= inWidth) continue;
              const i = ((n * inHeight + ih) * inWidth + iw) * inChannels + c;
              if (x[i] > best) {
                best = x[i];
                first = i;
              }
            }
          }
          if (first >= 0) dx[first] += dy[((n * outHeight + oh) * outWidth + ow) * inChannels + c];
        }
      }
    }
  }
  return dx;
}
