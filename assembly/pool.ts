// WebAssembly SIMD128 max pooling over NHWC float32 tensors: four channels per
// f32x4, a scalar loop for the last C mod 4 channels.
//
// Compiled by scripts/build-wasm.mjs; kernels/core/pool_wasm.ts stages the
// operands in linear memory (byte addresses below) and calls these. The
// semantics are those of kernels/core/pool.ts, value for value:
//   maxPool:     y = max over each window's in-bounds pixels, NaN skipped
//                (best < v ? v : best, i.e. f32x4.pmax), -Infinity when empty;
//   maxPoolGrad: dx[first maximum of each window] += dy (a strictly greater
//                value moves the maximum), no gradient for an empty window.

@inline function windowStart(o: i32, stride: i32, pad: i32): i32 {
  return o * stride - pad;
}

export function maxPool(
  x: usize, y: usize, batch: i32, inH: i32, inW: i32, C: i32, outH: i32, outW: i32,
  filterH: i32, filterW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
): void {
  const empty = f32x4.splat(-Infinity);
  let out = y;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = windowStart(oh, strideH, padTop);
      const ihMin = max(0, ih0);
      const ihMax = min(inH, ih0 + filterH);
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = windowStart(ow, strideW, padLeft);
        const iwMin = max(0, iw0);
        const iwMax = min(inW, iw0 + filterW);
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          let best = empty;
          for (let ih = ihMin; ih < ihMax; ih++) {
            for (let iw = iwMin; iw < iwMax; iw++) {
              const at = x + ((<usize>(((n * inH + ih) * inW + iw) * C + c)) << 2);
              best = f32x4.pmax(best, v128.load(at));
            }
          }
          v128.store(out + (<usize>c << 2), best);
        }
        for (; c < C; c++) {
          let best: f32 = -Infinity;
          for (let ih = ihMin; ih < ihMax; ih++) {
            for (let iw = iwMin; iw < iwMax; iw++) {
              const v = load<f32>(x + ((<usize>(((n * inH + ih) * inW + iw) * C + c)) << 2));
              if (v > best) best = v;
            }
          }
          store<f32>(out + (<usize>c << 2), best);
        }
        out += <usize>C << 2;
      }
    }
  }
}

@inline function routeLane(dx: usize, arg: v128, g: v128, lane: i32): void {
  // extract_lane needs a constant lane index: one call per lane, unrolled by the caller.
  const a = lane === 0 ? i32x4.extract_lane(arg, 0) : lane === 1 ? i32x4.extract_lane(arg, 1)
    : lane === 2 ? i32x4.extract_lane(arg, 2) : i32x4.extract_lane(arg, 3);
  const v = lane === 0 ? f32x4.extract_lane(g, 0) : lane === 1 ? f32x4.extract_lane(g, 1)
    : lane === 2 ? f32x4.extract_lane(g, 2) : f32x4.extract_lane(g, 3);
  if (a >= 0) {
    const p = dx + (<usize>a << 2);
    store<f32>(p, load<f32>(p) + v);
  }
}

/** dx (zeroed by the caller) += dy routed to each window's first maximum of x. */
export function maxPoolGrad(
  x: usize, dy: usize, dx: usize, batch: i32, inH: i32, inW: i32, C: i32, outH: i32, outW: i32,
  filterH: i32, filterW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
): void {
  const empty = f32x4.splat(-Infinity);
  const none = i32x4.splat(-1);
  const lanes = i32x4(0, 1, 2, 3);
  let out = dy;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = windowStart(oh, strideH, padTop);
      const ihMin = max(0, ih0);
      const ihMax = min(inH, ih0 + filterH);
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = windowStart(ow, strideW, padLeft);
        const iwMin = max(0, iw0);
        const iwMax = min(inW, iw0 + filterW);
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          let best = empty;
          let arg = none;
          for (let ih = ihMin; ih < ihMax; ih++) {
            for (let iw = iwMin; iw < iwMax; iw++) {
              const index = ((n * inH + ih) * inW + iw) * C + c;
              const v = v128.load(x + (<usize>index << 2));
              const greater = f32x4.gt(v, best);
              best = v128.bitselect(v, best, greater);
              arg = v128.bitselect(i32x4.add(i32x4.splat(index), lanes), arg, greater);
            }
          }
          const g = v128.load(out + (<usize>c << 2));
          routeLane(dx, arg, g, 0);
          routeLane(dx, arg, g, 1);
          routeLane(dx, arg, g, 2);
          routeLane(dx, arg, g, 3);
        }
        for (; c < C; c++) {
          let best: f32 = -Infinity;
          let arg = -1;
          for (let ih = ihMin; ih < ihMax; ih++) {
            for (let iw = iwMin; iw < iwMax; iw++) {
              const index = ((n * inH + ih) * inW + iw) * C + c;
              const v = load<f32>(x + (<usize>index << 2));
              if (v > best) {
                best = v;
                arg = index;
              }
            }
          }
          if (arg >= 0) {
            const p = dx + (<usize>arg << 2);
            store<f32>(p, load<f32>(p) + load<f32>(out + (<usize>c << 2)));
          }
        }
        out += <usize>C << 2;
      }
    }
  }
}
