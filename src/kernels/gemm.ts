// kernels/gemm.ts: general matrix multiply on row-major Float32Arrays.
// Bare loops with no checks and no allocation: the callers (tensor/ops.ts)
// check shapes once. Each kernel computes C (m×n) = op(A)·op(B), overwriting C,
// or adding to it when `accumulate` is true. Transposes are read in place,
// never copied. The obvious triple-loop twins live in tests/reference.ts.

/** C (m×n) = A (m×k) · B (k×n). */
export function gemmNN(
  c: Float32Array, a: Float32Array, b: Float32Array,
  m: number, k: number, n: number, accumulate = false,
): void {
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    if (!accumulate) c.fill(0, ci, ci + n);
    const ai = i * k;
    for (let p = 0; p < k; p++) {
      const aip = a[ai + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
    }
  }
}

/** C (m×n) = A (m×k) · Bᵀ, where B is n×k: each entry is a dot product of two rows. */
export function gemmNT(
  c: Float32Array, a: Float32Array, b: Float32Array,
  m: number, k: number, n: number, accumulate = false,
): void {
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    const ci = i * n;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[ai + p] * b[bj + p];
      c[ci + j] = accumulate ? c[ci + j] + sum : sum;
    }
  }
}

/** C (m×n) = Aᵀ · B (k×n), where A is k×m. */
export function gemmTN(
  c: Float32Array, a: Float32Array, b: Float32Array,
  m: number, k: number, n: number, accumulate = false,
): void {
  if (!accumulate) c.fill(0, 0, m * n);
  for (let p = 0; p < k; p++) {
    const ap = p * m;
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const api = a[ap + i];
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] += api * b[bp + j];
    }
  }
}

/** C (m×n) = Aᵀ · Bᵀ, where A is k×m and B is n×k. */
export function gemmTT(
  c: Float32Array, a: Float32Array, b: Float32Array,
  m: number, k: number, n: number, accumulate = false,
): void {
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[p * m + i] * b[bj + p];
      c[ci + j] = accumulate ? c[ci + j] + sum : sum;
    }
  }
}
