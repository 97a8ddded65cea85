// kernels/gemm.ts: general matrix multiply on row-major Float32Arrays.
// Bare loops with no checks and no allocation: the callers (tensor/ops.ts)
// check shapes once. Each kernel computes C (m×n) = op(A)·op(B), overwriting C,
// or adding to it when `accumulate` is true. Transposes are read in place,
// never copied. The obvious triple-loop twin lives in tests/reference.ts.
//
// All four cases are one strided kernel: A(i, p) = a[i·sAi + p·sAp],
// B(p, j) = b[p·sBp + j·sBj] and C(i, j) = c[i·sCi + j·sCj], so a transpose,
// or a column-major operand, is just another pair of strides. The
// kernel works on 4×4 blocks of C held in 16 local variables (register
// blocking): each step over p loads 4 values of A and 4 of B and does 16
// multiply-adds, where a plain triple loop does 1 load per multiply-add and
// writes C every time. Sums are kept in float64 and stored once per block.

/** C (m×n) = A (m×k) · B (k×n). */
export function gemmNN(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, accumulate = false): void {
  gemmStrided(c, a, b, m, k, n, k, 1, n, 1, n, 1, accumulate);
}

/** C (m×n) = A (m×k) · Bᵀ, where B is n×k. (BP4: ∇w = δ·aᵀ) */
export function gemmNT(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, accumulate = false): void {
  gemmStrided(c, a, b, m, k, n, k, 1, 1, k, n, 1, accumulate);
}

/** C (m×n) = Aᵀ · B (k×n), where A is k×m. (BP2: wᵀ·δ) */
export function gemmTN(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, accumulate = false): void {
  gemmStrided(c, a, b, m, k, n, 1, m, n, 1, n, 1, accumulate);
}

/** C (m×n) = Aᵀ · Bᵀ, where A is k×m and B is n×k. */
export function gemmTT(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, accumulate = false): void {
  gemmStrided(c, a, b, m, k, n, 1, m, 1, k, n, 1, accumulate);
}

/** C (m×n) (+)= A·B with A(i, p) = a[i·sAi + p·sAp], B(p, j) = b[p·sBp + j·sBj], C(i, j) = c[i·sCi + j·sCj]. */
export function gemmStrided(
  c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number,
  sAi: number, sAp: number, sBp: number, sBj: number, sCi: number, sCj: number, accumulate: boolean,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    for (let j = 0; j < n4; j += 4) block4x4(c, a, b, i, j, k, sAi, sAp, sBp, sBj, sCi, sCj, accumulate);
    for (let j = n4; j < n; j++) block4x1(c, a, b, i, j, k, sAi, sAp, sBp, sBj, sCi, sCj, accumulate);
  }
  for (let i = m4; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let pa = i * sAi;
      let pb = j * sBj;
      for (let p = 0; p < k; p++, pa += sAp, pb += sBp) sum += a[pa] * b[pb];
      const o = i * sCi + j * sCj;
      c[o] = accumulate ? c[o] + sum : sum;
    }
  }
}

/** C[i..i+3][j..j+3] (+)= the 4×4 block of A·B. */
function block4x4(
  c: Float32Array, a: Float32Array, b: Float32Array, i: number, j: number, k: number,
  sAi: number, sAp: number, sBp: number, sBj: number, sCi: number, sCj: number, accumulate: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let pa = i * sAi;
  let pb = j * sBj;
  for (let p = 0; p < k; p++, pa += sAp, pb += sBp) {
    const a0 = a[pa], a1 = a[pa + sAi], a2 = a[pa + 2 * sAi], a3 = a[pa + 3 * sAi];
    const b0 = b[pb], b1 = b[pb + sBj], b2 = b[pb + 2 * sBj], b3 = b[pb + 3 * sBj];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  const o0 = i * sCi + j * sCj, o1 = o0 + sCi, o2 = o1 + sCi, o3 = o2 + sCi;
  const j1 = sCj, j2 = 2 * sCj, j3 = 3 * sCj;
  if (accumulate) {
    c[o0] += c00; c[o0 + j1] += c01; c[o0 + j2] += c02; c[o0 + j3] += c03;
    c[o1] += c10; c[o1 + j1] += c11; c[o1 + j2] += c12; c[o1 + j3] += c13;
    c[o2] += c20; c[o2 + j1] += c21; c[o2 + j2] += c22; c[o2 + j3] += c23;
    c[o3] += c30; c[o3 + j1] += c31; c[o3 + j2] += c32; c[o3 + j3] += c33;
  } else {
    c[o0] = c00; c[o0 + j1] = c01; c[o0 + j2] = c02; c[o0 + j3] = c03;
    c[o1] = c10; c[o1 + j1] = c11; c[o1 + j2] = c12; c[o1 + j3] = c13;
    c[o2] = c20; c[o2 + j1] = c21; c[o2 + j2] = c22; c[o2 + j3] = c23;
    c[o3] = c30; c[o3 + j1] = c31; c[o3 + j2] = c32; c[o3 + j3] = c33;
  }
}

/** C[i..i+3][j] (+)= one column of a 4-row block (the columns left over from the 4×4 blocks). */
function block4x1(
  c: Float32Array, a: Float32Array, b: Float32Array, i: number, j: number, k: number,
  sAi: number, sAp: number, sBp: number, sBj: number, sCi: number, sCj: number, accumulate: boolean,
): void {
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  let pa = i * sAi;
  let pb = j * sBj;
  for (let p = 0; p < k; p++, pa += sAp, pb += sBp) {
    const bv = b[pb];
    c0 += a[pa] * bv; c1 += a[pa + sAi] * bv; c2 += a[pa + 2 * sAi] * bv; c3 += a[pa + 3 * sAi] * bv;
  }
  const o = i * sCi + j * sCj;
  if (accumulate) {
    c[o] += c0; c[o + sCi] += c1; c[o + 2 * sCi] += c2; c[o + 3 * sCi] += c3;
  } else {
    c[o] = c0; c[o + sCi] = c1; c[o + 2 * sCi] = c2; c[o + 3 * sCi] = c3;
  }
}
