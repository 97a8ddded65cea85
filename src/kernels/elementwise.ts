// kernels/elementwise.ts: element-wise and reduction loops on Float32Arrays.
// Bare loops with no checks and no allocation; `n` is the element count, and
// a matrix is `rows`×`cols` with entry (i, j) at i·rs + j·cs (rs = cols, cs = 1
// for row-major storage; rs = 1, cs = rows for column-major). Callers check shapes.

/** out[i] = f(a[i]) */
export function mapInto(out: Float32Array, a: Float32Array, f: (x: number) => number, n: number): void {
  for (let i = 0; i < n; i++) out[i] = f(a[i]);
}

/** out[i] = f(a[i], b[i]) */
export function zipInto(
  out: Float32Array, a: Float32Array, b: Float32Array, f: (x: number, y: number) => number, n: number,
): void {
  for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
}

/** Broadcast a bias column over every column: z (rows×cols) += b (rows×1). */
export function addColumnInPlace(
  z: Float32Array, b: Float32Array, rows: number, cols: number, rs: number, cs: number,
): void {
  for (let j = 0; j < cols; j++) {
    const zj = j * cs;
    for (let i = 0; i < rows; i++) z[zj + i * rs] += b[i];
  }
}

/** out (rows×1) = the sum of the columns of a (rows×cols). */
export function sumColumns(out: Float32Array, a: Float32Array, rows: number, cols: number, rs: number, cs: number): void {
  out.fill(0, 0, rows);
  for (let j = 0; j < cols; j++) {
    const aj = j * cs;
    for (let i = 0; i < rows; i++) out[i] += a[aj + i * rs];
  }
}

/** y += alpha · x (BLAS axpy). */
export function axpy(y: Float32Array, alpha: number, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] += alpha * x[i];
}

/** out = a − b */
export function subInto(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
}

/** out = a ⊙ b (Hadamard product) */
export function mulInto(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
}

/** out[j] = the row index of the largest entry of column j (first one on ties). */
export function argmaxColumns(
  out: Uint8Array | Int32Array, a: Float32Array, rows: number, cols: number, rs: number, cs: number,
): void {
  for (let j = 0; j < cols; j++) {
    const aj = j * cs;
    let best = 0;
    let bestValue = a[aj];
    for (let i = 1; i < rows; i++) {
      const v = a[aj + i * rs];
      if (v > bestValue) {
        bestValue = v;
        best = i;
      }
    }
    out[j] = best;
  }
}

/** True when every entry is a finite number (no NaN, no ±Infinity). */
export function allFinite(a: Float32Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(a[i])) return false;
  }
  return true;
}

/** y = beta·y + alpha·x (the L2-regularised SGD step: beta = 1 − ηλ/n, alpha = −η/m). */
export function scaleAxpy(y: Float32Array, beta: number, alpha: number, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] = beta * y[i] + alpha * x[i];
}

/**
 * Momentum SGD: v = μ·v − a·g − d·w, then w = w + v (a = η/m; d = ηλ/n for
 * weights under L2, 0 for biases).
 */
export function momentumStep(
  w: Float32Array, v: Float32Array, g: Float32Array, mu: number, a: number, d: number, n: number,
): void {
  for (let i = 0; i < n; i++) {
    const vi = mu * v[i] - a * g[i] - d * w[i];
    v[i] = vi;
    w[i] += vi;
  }
}
