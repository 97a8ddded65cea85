// kernels/elementwise.ts: element-wise and reduction loops on Float32Arrays.
// Bare loops with no checks and no allocation; `n` is the element count and
// `rows`/`cols` describe a row-major matrix. Callers check shapes.

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
export function addColumnInPlace(z: Float32Array, b: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const bi = b[i];
    const zi = i * cols;
    for (let j = 0; j < cols; j++) z[zi + j] += bi;
  }
}

/** out (rows×1) = the sum of the columns of a (rows×cols). */
export function sumColumns(out: Float32Array, a: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const ai = i * cols;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += a[ai + j];
    out[i] = sum;
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
  out: Uint8Array | Int32Array, a: Float32Array, rows: number, cols: number,
): void {
  for (let j = 0; j < cols; j++) {
    let best = 0;
    let bestValue = a[j];
    for (let i = 1; i < rows; i++) {
      const v = a[i * cols + j];
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
