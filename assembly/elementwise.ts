// WebAssembly SIMD128 elementwise kernels on float32 (byte addresses into
// linear memory, staged by kernels/wasm_runtime/vector.ts). The semantics are
// those of kernels/core/elementwise.ts and kernels/cpu/unary.ts, value for
// value: one IEEE single operation per element (+ − × ÷ and √ round the same
// in float32 as in float64 rounded to float32), NaN wherever JavaScript gives NaN.

export const ADD: i32 = 0;
export const SUB: i32 = 1;
export const MUL: i32 = 2;
export const DIV: i32 = 3;

@inline function op4(op: i32, a: v128, b: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == SUB) return f32x4.sub(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  return f32x4.div(a, b);
}

@inline function op1(op: i32, a: f32, b: f32): f32 {
  if (op == ADD) return a + b;
  if (op == SUB) return a - b;
  if (op == MUL) return a * b;
  return a / b;
}

/**
 * rows × n block: out[r·n + i] = a[r·ra + i·sa] op b[r·rb + i·sb] (indices in
 * floats from the three base addresses), sa, sb ∈ {0, 1}.
 */
export function binaryBlock(
  op: i32, out: usize, a: usize, ra: i32, sa: i32, b: usize, rb: i32, sb: i32, rows: i32, n: i32,
): void {
  for (let r = 0; r < rows; r++) {
    const o = out + ((<usize>(r * n)) << 2);
    const ar = a + ((<usize>(r * ra)) << 2);
    const br = b + ((<usize>(r * rb)) << 2);
    let i = 0;
    if (sa == 1 && sb == 1) {
      for (; i + 4 <= n; i += 4) {
        const at = <usize>i << 2;
        v128.store(o + at, op4(op, v128.load(ar + at), v128.load(br + at)));
      }
    } else if (sa == 1) {
      const bv = v128.load32_splat(br);
      for (; i + 4 <= n; i += 4) {
        const at = <usize>i << 2;
        v128.store(o + at, op4(op, v128.load(ar + at), bv));
      }
    } else if (sb == 1) {
      const av = v128.load32_splat(ar);
      for (; i + 4 <= n; i += 4) {
        const at = <usize>i << 2;
        v128.store(o + at, op4(op, av, v128.load(br + at)));
      }
    }
    for (; i < n; i++) {
      store<f32>(o + (<usize>i << 2), op1(op, load<f32>(ar + (<usize>(i * sa) << 2)), load<f32>(br + (<usize>(i * sb) << 2))));
    }
  }
}

/** y = max(0, x): NaN stays NaN, -0 becomes +0 (f32x4.max orders -0 below +0), as Math.max(0, x). */
export function relu(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(y + at, f32x4.max(zero, v128.load(x + at)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(y + at, max<f32>(0, load<f32>(x + at)));
  }
}

/** y = 1 where x > 0, alpha elsewhere, NaN for NaN. */
export function step(x: usize, y: usize, n: i32, alpha: f32): void {
  const one = f32x4.splat(1);
  const alphaV = f32x4.splat(alpha);
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const v = v128.load(x + at);
    const r = v128.bitselect(one, alphaV, f32x4.gt(v, zero));
    v128.store(y + at, v128.bitselect(v, r, f32x4.ne(v, v)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const v = load<f32>(x + at);
    store<f32>(y + at, v != v ? v : v > 0 ? <f32>1 : alpha);
  }
}

/**
 * y = x > hi ? hi : x < lo ? lo : x (tfjs's ClipByValue, lo ≤ hi): pmax(x, lo) is `x < lo ? lo : x` and
 * pmin(t, hi) is `hi < t ? hi : t`, so NaN passes through and -0 stays -0, as in the builtin.
 */
export function clip(x: usize, y: usize, n: i32, lo: f32, hi: f32): void {
  const loV = f32x4.splat(lo);
  const hiV = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(y + at, f32x4.pmin(f32x4.pmax(v128.load(x + at), loV), hiV));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const v = load<f32>(x + at);
    store<f32>(y + at, v > hi ? hi : v < lo ? lo : v);
  }
}

/** y = min(max(0, x), 6) (tfjs's Relu6): the max as in relu (NaN stays, -0 becomes +0), then `6 < t ? 6 : t`. */
export function relu6(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const six = f32x4.splat(6);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(y + at, f32x4.pmin(f32x4.max(zero, v128.load(x + at)), six));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const t = max<f32>(0, load<f32>(x + at));
    store<f32>(y + at, <f32>6 < t ? <f32>6 : t);
  }
}

export function sqrt(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(y + at, f32x4.sqrt(v128.load(x + at)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(y + at, Mathf.sqrt(load<f32>(x + at)));
  }
}

/**
 * acc[i] += x[r·n + i] for each row r in order, i < n: column sums into float64
 * accumulators (acc holds n doubles), adding in the same order as a scalar loop.
 */
export function sumColumns(x: usize, acc: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * n) << 2);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(xr + (<usize>i << 2));
      const a = acc + (<usize>i << 3);
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
      v128.store(a + 16, f64x2.add(v128.load(a + 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3))));
    }
    for (; i < n; i++) {
      const a = acc + (<usize>i << 3);
      store<f64>(a, load<f64>(a) + <f64>load<f32>(xr + (<usize>i << 2)));
    }
  }
}

/**
 * out[r·C + c] = offset[c] + (x[r·C + c] − mean[c]) · scale[c] / den[c] for rows r < rows, in float64
 * (the parameters as C doubles each; den = sqrt(variance + ε)), rounded once to float32: tfjs's
 * FusedBatchNorm with per-channel parameters, operation for operation, two channels per instruction.
 */
export function batchNorm(x: usize, out: usize, rows: i32, C: i32, mean: usize, scale: usize, offset: usize, den: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * C) << 2);
    const or = out + (<usize>(r * C) << 2);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const at = <usize>c << 3;
      const v = f64x2.promote_low_f32x4(v128.load64_zero(xr + (<usize>c << 2)));
      const t = f64x2.div(f64x2.mul(f64x2.sub(v, v128.load(mean + at)), v128.load(scale + at)), v128.load(den + at));
      v128.store64_lane(or + (<usize>c << 2), f32x4.demote_f64x2_zero(f64x2.add(v128.load(offset + at), t)), 0);
    }
    for (; c < C; c++) {
      const at = <usize>c << 3;
      const v = <f64>load<f32>(xr + (<usize>c << 2));
      store<f32>(or + (<usize>c << 2), <f32>(load<f64>(offset + at) + (v - load<f64>(mean + at)) * load<f64>(scale + at) / load<f64>(den + at)));
    }
  }
}
