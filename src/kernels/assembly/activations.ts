// kernels/assembly/activations.ts: the WebAssembly SIMD twin of ReLU in
// nn/activations.ts, four floats at a time, with the twin's own tests (z > 0
// keeps z, anything else, −0 and NaN included, gives +0; a ≤ 0 clears δ, a NaN
// a does not), so the results are the same bit for bit.

/** a[i] = z[i] > 0 ? z[i] : 0 for n floats (a may be z). */
export function reluForward(a: usize, z: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(z + (<usize>i << 2));
    v128.store(a + (<usize>i << 2), v128.bitselect(v, zero, f32x4.gt(v, zero)));
  }
  for (; i < n; i++) {
    const v = load<f32>(z + (<usize>i << 2));
    store<f32>(a + (<usize>i << 2), v > 0 ? v : 0);
  }
}

/** delta[i] = 0 where a[i] ≤ 0, for n floats: δ ⊙= relu′(z), given a = relu(z). */
export function reluBackward(delta: usize, a: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = delta + (<usize>i << 2);
    v128.store(p, v128.bitselect(zero, v128.load(p), f32x4.le(v128.load(a + (<usize>i << 2)), zero)));
  }
  for (; i < n; i++) if (load<f32>(a + (<usize>i << 2)) <= 0) store<f32>(delta + (<usize>i << 2), 0);
}

// The sigmoid, σ(z) = 1 / (1 + e⁻ᶻ), as JavaScript computes it: in double
// precision, with the exponential of fdlibm (e_exp.c), which V8's Math.exp is
// (but for e¹, which V8 makes Math.E),
// rounded to float once at the end. Written here from fdlibm's algorithm: the
// same operations in the same order, so the same double for every input (a
// test compares it with Math.exp over the float range); without the call out
// of JavaScript for every value, it is several times faster.

const LN2_HI: f64 = 6.93147180369123816490e-01; // 0x3fe62e42 fee00000
const LN2_LO: f64 = 1.90821492927058770002e-10; // 0x3dea39ef 35793c76
const INV_LN2: f64 = 1.44269504088896338700e+00; // 0x3ff71547 652b82fe
const P1: f64 = 1.66666666666666019037e-01;
const P2: f64 = -2.77777777770155933842e-03;
const P3: f64 = 6.61375632143793436117e-05;
const P4: f64 = -1.65339022054652515390e-06;
const P5: f64 = 4.13813679705723846039e-08;
const O_THRESHOLD: f64 = 7.09782712893383973096e+02;
const U_THRESHOLD: f64 = -7.45133219101941108420e+02;
const TWO_M1000: f64 = 9.33263618503218878990e-302; // 2⁻¹⁰⁰⁰
const HUGE: f64 = 1.0e+300;

/** eˣ, fdlibm's: x = k·ln2 + r with |r| ≤ ln2/2, a rational approximation of eʳ, then 2ᵏ put into the exponent. */
export function exp(x: f64): f64 {
  if (x == 1.0) return 2.718281828459045; // V8 returns Math.E here, fdlibm one ulp more
  const bits = reinterpret<u64>(x);
  let hx = <u32>(bits >> 32);
  const negative = hx >> 31 != 0;
  hx &= 0x7fffffff;
  if (hx >= 0x40862e42) {
    // |x| ≥ 709.78…: NaN, ±∞, overflow, underflow
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | <u32>bits) != 0) return x + x;
      return negative ? 0.0 : x;
    }
    if (x > O_THRESHOLD) return HUGE * HUGE;
    if (x < U_THRESHOLD) return TWO_M1000 * TWO_M1000;
  }
  let hi: f64 = 0;
  let lo: f64 = 0;
  let k: i32 = 0;
  if (hx > 0x3fd62e42) {
    // |x| > ln2/2: reduce
    if (hx < 0x3ff0a2b2) {
      // and |x| < 1.5·ln2: k = ±1
      if (negative) {
        hi = x - -LN2_HI;
        lo = -LN2_LO;
        k = -1;
      } else {
        hi = x - LN2_HI;
        lo = LN2_LO;
        k = 1;
      }
    } else {
      k = <i32>(INV_LN2 * x + (negative ? -0.5 : 0.5));
      const t = <f64>k;
      hi = x - t * LN2_HI; // exact
      lo = t * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    return 1.0 + x; // |x| < 2⁻²⁸
  }
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) return reinterpret<f64>(reinterpret<u64>(y) + (<u64>(<i64>k) << 52));
  return reinterpret<f64>(reinterpret<u64>(y) + (<u64>(<i64>(k + 1000)) << 52)) * TWO_M1000;
}

/** |x| from which fdlibm's branches differ, as doubles: comparing |x| with them is comparing its high word. */
const REDUCE: f64 = reinterpret<f64>(<u64>0x3fd62e43 << 32); // |x| > ln2/2: x = k·ln2 + r
const ONE_STEP: f64 = reinterpret<f64>(<u64>0x3ff0a2b2 << 32); // below: |x| < 1.5·ln2, k = ±1
const TINY: f64 = reinterpret<f64>(<u64>0x3e300000 << 32); // 2⁻²⁸: eˣ = 1 + x

/**
 * exp above on two doubles at once, without branches: every lane takes each
 * step fdlibm takes for its value, the others being computed and not chosen.
 * The two kinds of reduction (k = ±1, and k from x/ln2) and the two closing
 * formulas (k = 0 and not) become one each: with k = ±1 the general formulas
 * do the very operations fdlibm's own branch does (t·ln2 = ±ln2 exactly), and
 * with k = 0 (hi = x, lo = 0) 1 − ((lo − xc/(2 − c)) − hi) is
 * 1 − ((xc/(c − 2)) − x), IEEE division being symmetric in sign.
 */
@inline function exp2x(x: v128): v128 {
  const ax = f64x2.abs(x);
  const one = f64x2.splat(1.0);
  const half = v128.or(f64x2.splat(0.5), v128.and(x, f64x2.splat(-0.0))); // ±0.5, x's sign
  const step = v128.or(one, v128.and(x, f64x2.splat(-0.0))); // ±1
  let t = f64x2.trunc(f64x2.add(f64x2.mul(f64x2.splat(INV_LN2), x), half));
  t = v128.bitselect(step, t, f64x2.lt(ax, f64x2.splat(ONE_STEP)));
  t = v128.bitselect(t, f64x2.splat(0), f64x2.ge(ax, f64x2.splat(REDUCE)));
  const hi = f64x2.sub(x, f64x2.mul(t, f64x2.splat(LN2_HI)));
  const lo = f64x2.mul(t, f64x2.splat(LN2_LO));
  const r = f64x2.sub(hi, lo);
  const rr = f64x2.mul(r, r);
  const poly = f64x2.add(f64x2.splat(P4), f64x2.mul(rr, f64x2.splat(P5)));
  const poly3 = f64x2.add(f64x2.splat(P3), f64x2.mul(rr, poly));
  const poly2 = f64x2.add(f64x2.splat(P2), f64x2.mul(rr, poly3));
  const poly1 = f64x2.add(f64x2.splat(P1), f64x2.mul(rr, poly2));
  const c = f64x2.sub(r, f64x2.mul(rr, poly1));
  const q = f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2.0), c));
  const y = f64x2.sub(one, f64x2.sub(f64x2.sub(lo, q), hi));
  // 2ᵏ into the exponent; below 2⁻¹⁰²¹ by way of 2⁻¹⁰⁰⁰, as fdlibm does
  // k as an integer: t + 1.5·2⁵² is exact for |t| < 2⁵¹ and holds t in its low bits
  const magic = f64x2.splat(6755399441055744.0);
  const k = i64x2.sub(f64x2.add(t, magic), magic);
  const deep = i64x2.lt_s(k, i64x2.splat(-1021));
  const kk = v128.bitselect(i64x2.add(k, i64x2.splat(1000)), k, deep);
  const scaled = f64x2.mul(i64x2.add(y, i64x2.shl(kk, 52)), v128.bitselect(f64x2.splat(TWO_M1000), one, deep));
  let e = v128.bitselect(f64x2.add(one, x), scaled, f64x2.lt(ax, f64x2.splat(TINY)));
  e = v128.bitselect(f64x2.splat(Infinity), e, f64x2.gt(x, f64x2.splat(O_THRESHOLD)));
  e = v128.bitselect(f64x2.splat(0), e, f64x2.lt(x, f64x2.splat(U_THRESHOLD)));
  e = v128.bitselect(f64x2.splat(2.718281828459045), e, f64x2.eq(x, one));
  return v128.bitselect(f64x2.add(x, x), e, f64x2.ne(x, x)); // NaN
}

/** σ of two doubles: 1 / (1 + e⁻ᶻ). */
@inline function sigmoid2x(z: v128): v128 {
  const one = f64x2.splat(1.0);
  return f64x2.div(one, f64x2.add(one, exp2x(f64x2.neg(z))));
}

/** a[i] = 1 / (1 + e^(−z[i])) for n floats (a may be z), in double, rounded once. */
export function sigmoidForward(a: usize, z: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(z + (<usize>i << 2));
    const lo = f32x4.demote_f64x2_zero(sigmoid2x(f64x2.promote_low_f32x4(v)));
    const hi = f32x4.demote_f64x2_zero(sigmoid2x(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))));
    v128.store(a + (<usize>i << 2), v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(z + (<usize>i << 2));
    store<f32>(a + (<usize>i << 2), <f32>(1.0 / (1.0 + exp(-v))));
  }
}

/** delta[i] ·= a[i]·(1 − a[i]) for n floats: δ ⊙= σ′(z), given a = σ(z), in double, rounded once. */
export function sigmoidBackward(delta: usize, a: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const ai = <f64>load<f32>(a + (<usize>i << 2));
    const p = delta + (<usize>i << 2);
    store<f32>(p, <f32>(<f64>load<f32>(p) * (ai * (1.0 - ai))));
  }
}
