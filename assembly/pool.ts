// WebAssembly SIMD128 max pooling over NHWC float32 tensors: four channels per
// f32x4 (the last group overlapping the one before when 4 does not divide C),
// sixteen per pass (four registers) in the forward when C >= 16, scalar loops
// when C < 4.
//
// Compiled by scripts/build-wasm.mjs; kernels/wasm_runtime/vector.ts places the
// operands in linear memory (byte addresses below) and calls these. The
// semantics are those of kernels/core/pool.ts, value for value:
//   maxPool:     y = max over each window's in-bounds pixels, NaN skipped
//                (best < v ? v : best, i.e. f32x4.pmax), -Infinity when empty;
//   maxPoolGrad: dx = dy at the first maximum of each window (a strictly
//                greater value moves the maximum), summed where windows
//                overlap; no gradient for an empty window.

@inline function windowStart(o: i32, stride: i32, pad: i32): i32 {
  return o * stride - pad;
}

/** The byte address of x[n, ih, iw, 0]. */
@inline function pixel(x: usize, n: i32, ih: i32, iw: i32, inH: i32, inW: i32, C: i32): usize {
  return x + (<usize>(((n * inH + ih) * inW + iw) * C) << 2);
}

/**
 * Channel groups of a row of C ≥ 4 floats: starts 0, 4, … and, when 4 does not
 * divide C, a last group at C − 4 overlapping the one before.
 */
@inline function overlapStart(c: i32, C: i32): i32 {
  return c + 4 <= C ? c : C - 4;
}

/** The maximum (pmax: NaN skipped, -Infinity when empty) of channels c..c+3 (byte offset `at`) over a window. */
@inline function windowMax4(
  x: usize, n: i32, ihMin: i32, ihMax: i32, iwMin: i32, iwMax: i32, inH: i32, inW: i32, C: i32, at: usize,
): v128 {
  let best = f32x4.splat(-Infinity);
  for (let ih = ihMin; ih < ihMax; ih++) {
    for (let iw = iwMin; iw < iwMax; iw++) {
      best = f32x4.pmax(best, v128.load(pixel(x, n, ih, iw, inH, inW, C) + at));
    }
  }
  return best;
}

export function maxPool(
  x: usize, y: usize, batch: i32, inH: i32, inW: i32, C: i32, outH: i32, outW: i32,
  filterH: i32, filterW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
): void {
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
        if (C >= 16) {
          // Sixteen channels per pass in four registers, the window walked with pointer steps; each
          // channel sees the same pmax sequence as below (row-major window order), so the values match.
          let c0 = 0;
          for (; c0 + 16 <= C; c0 += 16) {
            const at = <usize>c0 << 2;
            let b0 = f32x4.splat(-Infinity);
            let b1 = b0;
            let b2 = b0;
            let b3 = b0;
            for (let ih = ihMin; ih < ihMax; ih++) {
              let p = pixel(x, n, ih, iwMin, inH, inW, C) + at;
              for (let iw = iwMin; iw < iwMax; iw++) {
                b0 = f32x4.pmax(b0, v128.load(p));
                b1 = f32x4.pmax(b1, v128.load(p, 16));
                b2 = f32x4.pmax(b2, v128.load(p, 32));
                b3 = f32x4.pmax(b3, v128.load(p, 48));
                p += <usize>C << 2;
              }
            }
            v128.store(out + at, b0);
            v128.store(out + at, b1, 16);
            v128.store(out + at, b2, 32);
            v128.store(out + at, b3, 48);
          }
          // The remaining channels in groups of four, the last one overlapping (max is idempotent).
          for (; c0 < C; c0 += 4) {
            const at = <usize>overlapStart(c0, C) << 2;
            v128.store(out + at, windowMax4(x, n, ihMin, ihMax, iwMin, iwMax, inH, inW, C, at));
          }
        } else if (C >= 4) {
          // Max is idempotent, so the overlapping last group may redo channels.
          for (let c0 = 0; c0 < C; c0 += 4) {
            const at = <usize>overlapStart(c0, C) << 2;
            v128.store(out + at, windowMax4(x, n, ihMin, ihMax, iwMin, iwMax, inH, inW, C, at));
          }
        } else {
          for (let c = 0; c < C; c++) {
            let best: f32 = -Infinity;
            for (let ih = ihMin; ih < ihMax; ih++) {
              for (let iw = iwMin; iw < iwMax; iw++) {
                const v = load<f32>(pixel(x, n, ih, iw, inH, inW, C) + (<usize>c << 2));
                best = select<f32>(v, best, best < v);
              }
            }
            store<f32>(out + (<usize>c << 2), best);
          }
        }
        out += <usize>C << 2;
      }
    }
  }
}

/**
 * dx = dy routed to each window's first maximum of x (dx is zeroed here first).
 * Two passes per window and group of four channels, both branch-free: the
 * maximum (pmax, NaN skipped), then the window in order, adding dy where x
 * equals the maximum and no earlier pixel did. The first pixel equal to the
 * maximum is the first strictly greater than everything before it, the
 * maximum of the scalar loop; a window whose maximum is -Infinity (empty, all
 * NaN or -Infinity) passes nothing. Elsewhere 0 is added, which leaves dx
 * (never -0: it starts at +0) unchanged.
 */
export function maxPoolGrad(
  x: usize, dy: usize, dx: usize, batch: i32, inH: i32, inW: i32, C: i32, outH: i32, outW: i32,
  filterH: i32, filterW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
): void {
  memory.fill(dx, 0, <usize>batch * inH * inW * C << 2);
  const empty = f32x4.splat(-Infinity);
  const lanes = i32x4(0, 1, 2, 3);
  // Lanes of the overlapping last group that the group before already covered.
  const overlapDone = C >= 4 && C % 4 != 0 ? i32x4.lt_s(lanes, i32x4.splat(4 - C % 4)) : i32x4.splat(0);
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
        if (C >= 4) {
          for (let c0 = 0; c0 < C; c0 += 4) {
            const c = overlapStart(c0, C);
            const at = <usize>c << 2;
            const best = windowMax4(x, n, ihMin, ihMax, iwMin, iwMax, inH, inW, C, at);
            const g = v128.load(out + at);
            let done = v128.or(v128.not(f32x4.gt(best, empty)), c == c0 ? i32x4.splat(0) : overlapDone);
            for (let ih = ihMin; ih < ihMax; ih++) {
              for (let iw = iwMin; iw < iwMax; iw++) {
                const p = pixel(x, n, ih, iw, inH, inW, C) + at;
                const first = v128.andnot(f32x4.eq(v128.load(p), best), done);
                const q = p - x + dx;
                v128.store(q, f32x4.add(v128.load(q), v128.and(g, first)));
                done = v128.or(done, first);
              }
            }
          }
        } else {
          for (let c = 0; c < C; c++) {
            let best: f32 = -Infinity;
            let arg: usize = 0;
            for (let ih = ihMin; ih < ihMax; ih++) {
              for (let iw = iwMin; iw < iwMax; iw++) {
                const p = pixel(x, n, ih, iw, inH, inW, C) + (<usize>c << 2);
                const v = load<f32>(p);
                if (v > best) {
                  best = v;
                  arg = p - x + dx;
                }
              }
            }
            if (arg != 0) store<f32>(arg, load<f32>(arg) + load<f32>(out + (<usize>c << 2)));
          }
        }
        out += <usize>C << 2;
      }
    }
  }
}
