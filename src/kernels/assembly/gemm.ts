// kernels/assembly/gemm.ts: the WebAssembly SIMD twin of kernels/gemm.ts,
// written in AssemblyScript (compiled by scripts/build-wasm.ts; not part of
// the TypeScript project). Same contract: C(i, j) (+)= Σₚ A(i, p)·B(p, j) with
// A(i, p) = a[i·sAi + p·sAp], B(p, j) = b[p·sBp + j·sBj], C(i, j) = c[i·sCi + j·sCj];
// pointers are byte offsets into the module's memory, strides count floats.
// It picks the axis along which the operands are contiguous and works on four
// floats at a time (f32x4) along it:
//   p contiguous in A and B (feedforward, w·a): dot products, 4×2 blocks of C;
//   j contiguous in B and C (BP4, δ·aᵀ): rows of C, 4×8 blocks;
//   i contiguous in A and C (BP2, wᵀ·δ): the same as j, on the transposed problem;
//   anything else: plain loops.
// Also axpy (y += αx), the SGD update, four vectors at a time; and, from
// conv.ts, the loops around a convolution's gemm, from activations.ts, ReLU
// and the sigmoid, from bias.ts, the dense layer's bias loops.

export { im2col, col2im, maxPool2Forward, maxPool2Backward, addBiasMaps, mapsToRows } from './conv';
export { reluForward, reluBackward, sigmoidForward, sigmoidBackward, exp } from './activations';
export { addColumn, sumColumns } from './bias';

@inline function ld(base: usize, index: i32): v128 {
  return v128.load(base + (<usize>index << 2));
}

@inline function at(base: usize, index: i32): f32 {
  return load<f32>(base + (<usize>index << 2));
}

/** One float of memory in all four lanes: a single load (vbroadcastss), not a load and a shuffle. */
@inline function splatAt(base: usize, index: i32): v128 {
  return v128.load32_splat(base + (<usize>index << 2));
}

@inline function put(base: usize, index: i32, value: f32, accumulate: bool): void {
  const ptr = base + (<usize>index << 2);
  store<f32>(ptr, accumulate ? load<f32>(ptr) + value : value);
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

@inline function fma(acc: v128, x: v128, y: v128): v128 {
  return f32x4.add(acc, f32x4.mul(x, y));
}

// Zeros skipped, results unchanged: an input image is mostly zeros (MNIST: about four
// pixels in five), and so are ReLU's outputs. Where eight of B's floats that a step of
// the inner loop reads are all zero, the products it would add are all ±0, and adding
// ±0 to a sum that started at +0 leaves it as it is, bit for bit (such a sum is never
// −0). So each kernel first lists the steps with something nonzero, once per block of
// B, and then runs every block of A's rows over that list only: the same sums, formed
// in the same order, skipping only additions of zero. (A weight of ±∞ times a skipped
// zero would have given NaN; such a network has already diverged.) The list lives in
// this instance's scratch: every thread's instance has its own (useScratch).
let scratch: usize = 0;
let scratchEntries: i32 = 0;
let skipping = true;

/**
 * Where this instance keeps its lists of nonzero steps and its packed panels
 * (rowKernel): `entries` 32-bit words from byte `ptr`, used by no one else;
 * `skip` 0 takes every step (the same results: the bench's dense figures).
 */
export function useScratch(ptr: usize, entries: i32, skip: i32): void {
  scratch = ptr;
  scratchEntries = entries;
  skipping = skip != 0;
}

@inline function listed(q: i32): i32 {
  return load<i32>(scratch + (<usize>q << 2));
}

export function gemm(
  c: usize, a: usize, b: usize, m: i32, k: i32, n: i32,
  sAi: i32, sAp: i32, sBp: i32, sBj: i32, sCi: i32, sCj: i32, accumulate: i32,
): void {
  const acc = accumulate != 0;
  if (sAp == 1 && sBp == 1) dotKernel(c, a, b, m, k, n, sAi, sBj, sCi, sCj, acc);
  else if (sBj == 1 && sCj == 1) rowKernel(c, a, b, m, k, n, sAi, sAp, sBp, sCi, acc);
  else if (sAi == 1 && sCi == 1) rowKernel(c, b, a, n, k, m, sBj, sBp, sAp, sCj, acc); // Cᵀ = Bᵀ·Aᵀ
  else scalarKernel(c, a, b, m, k, n, sAi, sAp, sBp, sBj, sCi, sCj, acc);
}

/** One dot product Σₚ x[p]·y[p] over k contiguous floats. */
@inline function dot(x: usize, y: usize, k: i32): f32 {
  let s = f32x4.splat(0);
  let p = 0;
  for (; p + 4 <= k; p += 4) s = fma(s, ld(x, p), ld(y, p));
  let t = hsum(s);
  for (; p < k; p++) t += at(x, p) * at(y, p);
  return t;
}

/** A 4×2 block of C: the lanes of each sum added up, then the steps past k4 (k mod 4), then its first `rows` rows stored. */
@inline function dotTail(
  c: usize, a0: usize, a1: usize, a2: usize, a3: usize, b0: usize, b1: usize, k4: i32, k: i32, o: i32, sCi: i32, sCj: i32,
  s00: v128, s01: v128, s10: v128, s11: v128, s20: v128, s21: v128, s30: v128, s31: v128, acc: bool, rows: i32 = 4,
): void {
  let t00 = hsum(s00), t01 = hsum(s01), t10 = hsum(s10), t11 = hsum(s11);
  let t20 = hsum(s20), t21 = hsum(s21), t30 = hsum(s30), t31 = hsum(s31);
  for (let p = k4; p < k; p++) {
    const x0 = at(b0, p), x1 = at(b1, p);
    t00 += at(a0, p) * x0; t01 += at(a0, p) * x1;
    t10 += at(a1, p) * x0; t11 += at(a1, p) * x1;
    t20 += at(a2, p) * x0; t21 += at(a2, p) * x1;
    t30 += at(a3, p) * x0; t31 += at(a3, p) * x1;
  }
  put(c, o, t00, acc); put(c, o + sCj, t01, acc);
  if (rows > 1) { put(c, o + sCi, t10, acc); put(c, o + sCi + sCj, t11, acc); }
  if (rows > 2) { put(c, o + 2 * sCi, t20, acc); put(c, o + 2 * sCi + sCj, t21, acc); }
  if (rows > 3) { put(c, o + 3 * sCi, t30, acc); put(c, o + 3 * sCi + sCj, t31, acc); }
}

/** A's rows and B's columns are contiguous: C(i, j) = dot(A row i, B column j). */
function dotKernel(
  c: usize, a: usize, b: usize, m: i32, k: i32, n: i32, sAi: i32, sBj: i32, sCi: i32, sCj: i32, acc: bool,
): void {
  const k4 = k & ~3;
  const m4 = m & ~3;
  let j = 0;
  if (skipping && (k4 >> 2) <= scratchEntries) {
    for (; j + 2 <= n; j += 2) {
      const b0 = b + (<usize>(j * sBj) << 2);
      const b1 = b0 + (<usize>sBj << 2);
      // the steps p (four at a time) where column j or j + 1 of B has a nonzero float
      let count = 0;
      for (let p = 0; p < k4; p += 4) {
        store<i32>(scratch + (<usize>count << 2), p);
        count += <i32>v128.any_true(v128.or(ld(b0, p), ld(b1, p)));
      }
      for (let i = 0; i < m4; i += 4) {
        const a0 = a + (<usize>(i * sAi) << 2);
        const a1 = a0 + (<usize>sAi << 2);
        const a2 = a1 + (<usize>sAi << 2);
        const a3 = a2 + (<usize>sAi << 2);
        let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
        let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
        for (let q = 0; q < count; q++) {
          const p = listed(q);
          const x0 = ld(b0, p), x1 = ld(b1, p);
          const w0 = ld(a0, p), w1 = ld(a1, p), w2 = ld(a2, p), w3 = ld(a3, p);
          s00 = fma(s00, w0, x0); s01 = fma(s01, w0, x1);
          s10 = fma(s10, w1, x0); s11 = fma(s11, w1, x1);
          s20 = fma(s20, w2, x0); s21 = fma(s21, w2, x1);
          s30 = fma(s30, w3, x0); s31 = fma(s31, w3, x1);
        }
        dotTail(c, a0, a1, a2, a3, b0, b1, k4, k, i * sCi + j * sCj, sCi, sCj, s00, s01, s10, s11, s20, s21, s30, s31, acc);
      }
      if (m4 < m) {
        // the last rows (m mod 4) as one more block, its missing rows repeating the last one, not stored
        const rows = m - m4;
        const a0 = a + (<usize>(m4 * sAi) << 2);
        const a1 = rows > 1 ? a0 + (<usize>sAi << 2) : a0;
        const a2 = rows > 2 ? a1 + (<usize>sAi << 2) : a1;
        let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
        let s20 = f32x4.splat(0), s21 = f32x4.splat(0);
        for (let q = 0; q < count; q++) {
          const p = listed(q);
          const x0 = ld(b0, p), x1 = ld(b1, p);
          const w0 = ld(a0, p), w1 = ld(a1, p), w2 = ld(a2, p);
          s00 = fma(s00, w0, x0); s01 = fma(s01, w0, x1);
          s10 = fma(s10, w1, x0); s11 = fma(s11, w1, x1);
          s20 = fma(s20, w2, x0); s21 = fma(s21, w2, x1);
        }
        dotTail(c, a0, a1, a2, a2, b0, b1, k4, k, m4 * sCi + j * sCj, sCi, sCj, s00, s01, s10, s11, s20, s21, s20, s21, acc, rows);
      }
    }
  }
  // where the listing ran, it did every row up to column j
  const listedUpTo = j;
  // without room for a list: every step; then the last column if n is odd
  for (let i = 0; i < m4; i += 4) {
    const a0 = a + (<usize>(i * sAi) << 2);
    const a1 = a0 + (<usize>sAi << 2);
    const a2 = a1 + (<usize>sAi << 2);
    const a3 = a2 + (<usize>sAi << 2);
    let jj = j;
    for (; jj + 2 <= n; jj += 2) {
      const b0 = b + (<usize>(jj * sBj) << 2);
      const b1 = b0 + (<usize>sBj << 2);
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      for (let p = 0; p < k4; p += 4) {
        const x0 = ld(b0, p), x1 = ld(b1, p);
        const w0 = ld(a0, p), w1 = ld(a1, p), w2 = ld(a2, p), w3 = ld(a3, p);
        s00 = fma(s00, w0, x0); s01 = fma(s01, w0, x1);
        s10 = fma(s10, w1, x0); s11 = fma(s11, w1, x1);
        s20 = fma(s20, w2, x0); s21 = fma(s21, w2, x1);
        s30 = fma(s30, w3, x0); s31 = fma(s31, w3, x1);
      }
      dotTail(c, a0, a1, a2, a3, b0, b1, k4, k, i * sCi + jj * sCj, sCi, sCj, s00, s01, s10, s11, s20, s21, s30, s31, acc);
    }
    for (; jj < n; jj++) {
      const bj = b + (<usize>(jj * sBj) << 2);
      const o = i * sCi + jj * sCj;
      put(c, o, dot(a0, bj, k), acc);
      put(c, o + sCi, dot(a1, bj, k), acc);
      put(c, o + 2 * sCi, dot(a2, bj, k), acc);
      put(c, o + 3 * sCi, dot(a3, bj, k), acc);
    }
  }
  let i = m4;
  // the last rows (m mod 4) past the listed columns: four columns at a time, so that four sums are in
  // flight, not one; each sum is formed exactly as above (lanes over p, then the tail), so the results are the same
  for (; i < m; i++) {
    const ai = a + (<usize>(i * sAi) << 2);
    let j = listedUpTo;
    for (; j + 4 <= n; j += 4) {
      const b0 = b + (<usize>(j * sBj) << 2);
      const b1 = b0 + (<usize>sBj << 2);
      const b2 = b1 + (<usize>sBj << 2);
      const b3 = b2 + (<usize>sBj << 2);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      for (let p = 0; p < k4; p += 4) {
        const w = ld(ai, p);
        s0 = fma(s0, w, ld(b0, p)); s1 = fma(s1, w, ld(b1, p));
        s2 = fma(s2, w, ld(b2, p)); s3 = fma(s3, w, ld(b3, p));
      }
      let t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
      for (let p = k4; p < k; p++) {
        const w = at(ai, p);
        t0 += w * at(b0, p); t1 += w * at(b1, p); t2 += w * at(b2, p); t3 += w * at(b3, p);
      }
      const o = i * sCi + j * sCj;
      put(c, o, t0, acc); put(c, o + sCj, t1, acc); put(c, o + 2 * sCj, t2, acc); put(c, o + 3 * sCj, t3, acc);
    }
    for (; j < n; j++) put(c, i * sCi + j * sCj, dot(ai, b + (<usize>(j * sBj) << 2), k), acc);
  }
}

/** B's and C's rows are contiguous: C(i, j..j+3) += A(i, p)·B(p, j..j+3), four rows of C at a time. */
function rowKernel(
  c: usize, a: usize, b: usize, m: i32, k: i32, n: i32, sAi: i32, sAp: i32, sBp: i32, sCi: i32, acc: bool,
): void {
  const m4 = m & ~3;
  // the packed kernel's room: the list (k, rounded up to four), B's panel (8k), A's panels (k per row, rounded up to four rows)
  const k4up = (k + 3) & ~3;
  const mUp = (m + 3) & ~3;
  if (k4up + 8 * k + mUp * k <= scratchEntries) {
    packedRows(c, a, b, m, k, n, sAi, sAp, sBp, sCi, acc, k4up);
    rowTails(c, a, b, m, k, n, sAi, sAp, sBp, sCi, acc, m);
  } else {
    plainRows(c, a, b, m4, k, n, sAi, sAp, sBp, sCi, acc);
    rowTails(c, a, b, m, k, n, sAi, sAp, sBp, sCi, acc, m4);
  }
}

/**
 * rowKernel's blocks of 4 rows × 8 columns with both operands packed in the
 * scratch, so that the inner loop walks memory in order and computes no
 * addresses but two: A's four rows as one panel per block of rows (four floats
 * for each p, each broadcast by its own load), and, per block of columns, the
 * rows of B that are not all zero, one after the other, with their p in a list.
 * Each C(i, j) is still Σₚ A(i, p)·B(p, j) over p in order, zeros skipped.
 */
function packedRows(
  c: usize, a: usize, b: usize, m: i32, k: i32, n: i32, sAi: i32, sAp: i32, sBp: i32, sCi: i32, acc: bool, k4up: i32,
): void {
  const list = scratch;
  const panelB = scratch + (<usize>k4up << 2);
  const panelA = panelB + (<usize>(8 * k) << 2);
  const m4 = m & ~3;
  const mUp = (m + 3) & ~3;
  // A's panels: panelA[(i/4)·4k + 4p + r] = A(i + r, p); rows past m (m mod 4 ≠ 0) are zeros, computed, not stored
  for (let i = 0; i < mUp; i += 4) {
    const to = panelA + (<usize>(i * k) << 2);
    if (i == m4) {
      for (let p = 0; p < k; p++) {
        const q = to + (<usize>p << 4);
        v128.store(q, f32x4.splat(0));
        for (let r = 0; r < m - m4; r++) store<f32>(q + (<usize>r << 2), at(a, (i + r) * sAi + p * sAp));
      }
    } else if (sAi == 1) {
      for (let p = 0; p < k; p++) v128.store(to + (<usize>p << 4), ld(a, i + p * sAp));
    } else {
      for (let p = 0; p < k; p++) {
        const ap = i * sAi + p * sAp;
        const q = to + (<usize>p << 4);
        store<f32>(q, at(a, ap));
        store<f32>(q, at(a, ap + sAi), 4);
        store<f32>(q, at(a, ap + 2 * sAi), 8);
        store<f32>(q, at(a, ap + 3 * sAi), 12);
      }
    }
  }
  for (let j = 0; j + 8 <= n; j += 8) {
    // B's rows p at columns j..j+7 that are not all zero (every row when not skipping)
    let count = 0;
    for (let p = 0; p < k; p++) {
      const bp = b + (<usize>(p * sBp + j) << 2);
      const x0 = v128.load(bp), x1 = v128.load(bp, 16);
      const q = panelB + (<usize>count << 5);
      v128.store(q, x0);
      v128.store(q, x1, 16);
      store<i32>(list + (<usize>count << 2), p);
      count += skipping ? <i32>v128.any_true(v128.or(x0, x1)) : 1;
    }
    for (let i = 0; i < mUp; i += 4) {
      const ap = panelA + (<usize>(i * k) << 2);
      let r00 = f32x4.splat(0), r01 = f32x4.splat(0), r10 = f32x4.splat(0), r11 = f32x4.splat(0);
      let r20 = f32x4.splat(0), r21 = f32x4.splat(0), r30 = f32x4.splat(0), r31 = f32x4.splat(0);
      for (let q = 0; q < count; q++) {
        const bq = panelB + (<usize>q << 5);
        const x0 = v128.load(bq), x1 = v128.load(bq, 16);
        const w = ap + (<usize>load<i32>(list + (<usize>q << 2)) << 4);
        const w0 = v128.load32_splat(w), w1 = v128.load32_splat(w, 4);
        const w2 = v128.load32_splat(w, 8), w3 = v128.load32_splat(w, 12);
        r00 = fma(r00, w0, x0); r01 = fma(r01, w0, x1);
        r10 = fma(r10, w1, x0); r11 = fma(r11, w1, x1);
        r20 = fma(r20, w2, x0); r21 = fma(r21, w2, x1);
        r30 = fma(r30, w3, x0); r31 = fma(r31, w3, x1);
      }
      const c0 = c + (<usize>(i * sCi) << 2);
      const c1 = c0 + (<usize>sCi << 2);
      const c2 = c1 + (<usize>sCi << 2);
      const c3 = c2 + (<usize>sCi << 2);
      storeRow(c0, j, r00, r01, acc);
      if (i + 1 < m) storeRow(c1, j, r10, r11, acc);
      if (i + 2 < m) storeRow(c2, j, r20, r21, acc);
      if (i + 3 < m) storeRow(c3, j, r30, r31, acc);
    }
  }
}

/** rowKernel's blocks of 4 rows × 8 columns where the packed panels do not fit the scratch. */
function plainRows(
  c: usize, a: usize, b: usize, m4: i32, k: i32, n: i32, sAi: i32, sAp: i32, sBp: i32, sCi: i32, acc: bool,
): void {
  const listing = skipping && k <= scratchEntries;
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    // the steps p where B's eight floats at (p, j..j+7) are not all zero (all of them without room for a list)
    let count = k;
    if (listing) {
      count = 0;
      for (let p = 0; p < k; p++) {
        const bp = b + (<usize>(p * sBp + j) << 2);
        store<i32>(scratch + (<usize>count << 2), p);
        count += <i32>v128.any_true(v128.or(v128.load(bp), v128.load(bp, 16)));
      }
    }
    for (let i = 0; i < m4; i += 4) {
      let r00 = f32x4.splat(0), r01 = f32x4.splat(0), r10 = f32x4.splat(0), r11 = f32x4.splat(0);
      let r20 = f32x4.splat(0), r21 = f32x4.splat(0), r30 = f32x4.splat(0), r31 = f32x4.splat(0);
      if (sAi == 1) {
        // A's four rows at p are contiguous (BP4's δ, one sample per column): one load, four lane broadcasts
        for (let q = 0; q < count; q++) {
          const p = listing ? listed(q) : q;
          const bp = b + (<usize>(p * sBp + j) << 2);
          const x0 = v128.load(bp), x1 = v128.load(bp, 16);
          const w = ld(a, i + p * sAp);
          const w0 = v128.shuffle<f32>(w, w, 0, 0, 0, 0), w1 = v128.shuffle<f32>(w, w, 1, 1, 1, 1);
          const w2 = v128.shuffle<f32>(w, w, 2, 2, 2, 2), w3 = v128.shuffle<f32>(w, w, 3, 3, 3, 3);
          r00 = fma(r00, w0, x0); r01 = fma(r01, w0, x1);
          r10 = fma(r10, w1, x0); r11 = fma(r11, w1, x1);
          r20 = fma(r20, w2, x0); r21 = fma(r21, w2, x1);
          r30 = fma(r30, w3, x0); r31 = fma(r31, w3, x1);
        }
      } else {
        for (let q = 0; q < count; q++) {
          const p = listing ? listed(q) : q;
          const bp = b + (<usize>(p * sBp + j) << 2);
          const x0 = v128.load(bp), x1 = v128.load(bp, 16);
          const ap = i * sAi + p * sAp;
          const w0 = splatAt(a, ap), w1 = splatAt(a, ap + sAi);
          const w2 = splatAt(a, ap + 2 * sAi), w3 = splatAt(a, ap + 3 * sAi);
          r00 = fma(r00, w0, x0); r01 = fma(r01, w0, x1);
          r10 = fma(r10, w1, x0); r11 = fma(r11, w1, x1);
          r20 = fma(r20, w2, x0); r21 = fma(r21, w2, x1);
          r30 = fma(r30, w3, x0); r31 = fma(r31, w3, x1);
        }
      }
      const c0 = c + (<usize>(i * sCi) << 2);
      const c1 = c0 + (<usize>sCi << 2);
      const c2 = c1 + (<usize>sCi << 2);
      const c3 = c2 + (<usize>sCi << 2);
      storeRow(c0, j, r00, r01, acc);
      storeRow(c1, j, r10, r11, acc);
      storeRow(c2, j, r20, r21, acc);
      storeRow(c3, j, r30, r31, acc);
    }
  }
}

/**
 * rowKernel's last columns (n mod 8) of the blocks of four rows, and its last
 * rows (m mod 4): all their columns, or, where the blocks did rows up to `done`
 * (the packed kernel), only the last columns.
 */
function rowTails(
  c: usize, a: usize, b: usize, m: i32, k: i32, n: i32, sAi: i32, sAp: i32, sBp: i32, sCi: i32, acc: bool, done: i32,
): void {
  const m4 = m & ~3;
  const j = n & ~7;
  // the last columns (n mod 8) of the blocks of four rows
  for (let i = 0; i < m4; i += 4) {
    const c0 = c + (<usize>(i * sCi) << 2);
    const c1 = c0 + (<usize>sCi << 2);
    const c2 = c1 + (<usize>sCi << 2);
    const c3 = c2 + (<usize>sCi << 2);
    for (let jj = j; jj < n; jj++) {
      let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
      for (let p = 0; p < k; p++) {
        const x = at(b, p * sBp + jj);
        const ap = i * sAi + p * sAp;
        t0 += at(a, ap) * x; t1 += at(a, ap + sAi) * x; t2 += at(a, ap + 2 * sAi) * x; t3 += at(a, ap + 3 * sAi) * x;
      }
      put(c0, jj, t0, acc); put(c1, jj, t1, acc); put(c2, jj, t2, acc); put(c3, jj, t3, acc);
    }
  }
  let i = m4;
  // the last rows (m mod 4): sixteen columns at a time, four sums in flight; each element
  // is summed over p in order from 0, as above, so the results are the same
  for (; i < m; i++) {
    const ci = c + (<usize>(i * sCi) << 2);
    let j = done > i ? n & ~7 : 0;
    for (; j + 16 <= n; j += 16) {
      let r0 = f32x4.splat(0), r1 = f32x4.splat(0), r2 = f32x4.splat(0), r3 = f32x4.splat(0);
      for (let p = 0; p < k; p++) {
        const w = splatAt(a, i * sAi + p * sAp);
        const bp = b + (<usize>(p * sBp + j) << 2);
        r0 = fma(r0, w, v128.load(bp)); r1 = fma(r1, w, v128.load(bp, 16));
        r2 = fma(r2, w, v128.load(bp, 32)); r3 = fma(r3, w, v128.load(bp, 48));
      }
      storeRow(ci, j, r0, r1, acc);
      storeRow(ci, j + 8, r2, r3, acc);
    }
    for (; j + 4 <= n; j += 4) {
      let r = f32x4.splat(0);
      for (let p = 0; p < k; p++) r = fma(r, splatAt(a, i * sAi + p * sAp), ld(b, p * sBp + j));
      const ptr = ci + (<usize>j << 2);
      v128.store(ptr, acc ? f32x4.add(v128.load(ptr), r) : r);
    }
    for (; j < n; j++) {
      let t: f32 = 0;
      for (let p = 0; p < k; p++) t += at(a, i * sAi + p * sAp) * at(b, p * sBp + j);
      put(ci, j, t, acc);
    }
  }
}

@inline function storeRow(row: usize, j: i32, lo: v128, hi: v128, acc: bool): void {
  const ptr = row + (<usize>j << 2);
  if (acc) {
    v128.store(ptr, f32x4.add(v128.load(ptr), lo));
    v128.store(ptr, f32x4.add(v128.load(ptr, 16), hi), 16);
  } else {
    v128.store(ptr, lo);
    v128.store(ptr, hi, 16);
  }
}

function scalarKernel(
  c: usize, a: usize, b: usize, m: i32, k: i32, n: i32,
  sAi: i32, sAp: i32, sBp: i32, sBj: i32, sCi: i32, sCj: i32, acc: bool,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let t: f32 = 0;
      for (let p = 0; p < k; p++) t += at(a, i * sAi + p * sAp) * at(b, p * sBp + j * sBj);
      put(c, i * sCi + j * sCj, t, acc);
    }
  }
}

/** y[i] += alpha·x[i] for n floats (the SGD step over the parameter buffer). */
export function axpy(y: usize, alpha: f32, x: usize, n: i32): void {
  const a = f32x4.splat(alpha);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = y + (<usize>i << 2);
    const q = x + (<usize>i << 2);
    v128.store(p, fma(v128.load(p), a, v128.load(q)));
    v128.store(p, fma(v128.load(p, 16), a, v128.load(q, 16)), 16);
    v128.store(p, fma(v128.load(p, 32), a, v128.load(q, 32)), 32);
    v128.store(p, fma(v128.load(p, 48), a, v128.load(q, 48)), 48);
  }
  for (; i < n; i++) put(y, i, alpha * at(x, i), true);
}

/**
 * Pixels to [0, 1]: x[i] = bytes[i] / 255 for i < n, the bytes sitting in x's
 * own last quarter (from x + 3n), where gatherBatch copied them. Widened front
 * to back, 16 at a time: a block's 16 bytes are read before its 64 bytes of
 * floats are written, which end at or before the next unread byte. One
 * correctly rounded division each: the same float as the double-precision
 * quotient rounded to float (tests check all 256 byte values).
 */
export function unitBytes(x: usize, n: i32): void {
  const src = x + <usize>(3 * n);
  const d = f32x4.splat(255);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const b = v128.load(src + <usize>i);
    const lo = i16x8.extend_low_i8x16_u(b);
    const hi = i16x8.extend_high_i8x16_u(b);
    const p = x + (<usize>i << 2);
    v128.store(p, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)), d));
    v128.store(p, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), d), 16);
    v128.store(p, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), d), 32);
    v128.store(p, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), d), 48);
  }
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), <f32>load<u8>(src + <usize>i) / 255);
}

/** y[i] = beta·y[i] + alpha·x[i] for n floats (the L2-regularised step). */
export function scaleAxpy(y: usize, beta: f32, alpha: f32, x: usize, n: i32): void {
  const b = f32x4.splat(beta);
  const a = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = y + (<usize>i << 2);
    v128.store(p, f32x4.add(f32x4.mul(b, v128.load(p)), f32x4.mul(a, ld(x, i))));
  }
  for (; i < n; i++) {
    const p = y + (<usize>i << 2);
    store<f32>(p, beta * load<f32>(p) + alpha * at(x, i));
  }
}

/** Momentum: v = mu·v − a·g − d·w, then w = w + v, for n floats. */
export function momentumStep(w: usize, v: usize, g: usize, mu: f32, a: f32, d: f32, n: i32): void {
  const vm = f32x4.splat(mu);
  const va = f32x4.splat(a);
  const vd = f32x4.splat(d);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pw = w + (<usize>i << 2);
    const pv = v + (<usize>i << 2);
    const wi = v128.load(pw);
    const vi = f32x4.sub(f32x4.sub(f32x4.mul(vm, v128.load(pv)), f32x4.mul(va, ld(g, i))), f32x4.mul(vd, wi));
    v128.store(pv, vi);
    v128.store(pw, f32x4.add(wi, vi));
  }
  for (; i < n; i++) {
    const pw = w + (<usize>i << 2);
    const pv = v + (<usize>i << 2);
    const vi = mu * load<f32>(pv) - a * at(g, i) - d * load<f32>(pw);
    store<f32>(pv, vi);
    store<f32>(pw, load<f32>(pw) + vi);
  }
}

/**
 * The machine's 128-bit SIMD arithmetic peak, for `npm run bench -- --kernels`:
 * `iterations` rounds of 7 f32x4 multiplies and 7 f32x4 adds on 14 independent
 * chains (56 FLOP a round; 14 chains and 2 constants fill the 16 vector
 * registers V8 uses), so neither the multiply nor the add units wait on a
 * result. Returns a sum of the chains, so the loop is not optimised away.
 */
export function simdPeak(iterations: i32): f32 {
  const x = f32x4.splat(<f32>1.0000001);
  const y = f32x4.splat(<f32>0.5);
  let m0 = f32x4.splat(1), m1 = f32x4.splat(1), m2 = f32x4.splat(1), m3 = f32x4.splat(1), m4 = f32x4.splat(1), m5 = f32x4.splat(1), m6 = f32x4.splat(1);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0), a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0);
  for (let i = 0; i < iterations; i++) {
    m0 = f32x4.mul(m0, x); a0 = f32x4.add(a0, y);
    m1 = f32x4.mul(m1, x); a1 = f32x4.add(a1, y);
    m2 = f32x4.mul(m2, x); a2 = f32x4.add(a2, y);
    m3 = f32x4.mul(m3, x); a3 = f32x4.add(a3, y);
    m4 = f32x4.mul(m4, x); a4 = f32x4.add(a4, y);
    m5 = f32x4.mul(m5, x); a5 = f32x4.add(a5, y);
    m6 = f32x4.mul(m6, x); a6 = f32x4.add(a6, y);
  }
  const m = f32x4.add(f32x4.add(f32x4.add(m0, m1), f32x4.add(m2, m3)), f32x4.add(f32x4.add(m4, m5), m6));
  const a = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), a6));
  return hsum(f32x4.add(m, a));
}
