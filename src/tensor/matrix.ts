// tensor/matrix.ts: the Matrix type, a row-major Float32Array with a shape.
// A Matrix is a view: it never copies its data, so weights can be views into
// one parameter buffer. It knows nothing of networks; the checked operations
// on matrices live in tensor/ops.ts.

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export class Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Entry (i, j) is data[i * cols + j]. */
  readonly data: Float32Array;

  constructor(rows: number, cols: number, data?: Float32Array) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
      throw new RangeError(`Matrix: rows and cols must be positive integers, got ${rows}×${cols}`);
    }
    if (data && data.length !== rows * cols) {
      throw new RangeError(
        `Matrix: a ${rows}×${cols} matrix needs ${rows * cols} values, got ${data.length}`,
      );
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data ?? new Float32Array(rows * cols);
  }

  static zeros(rows: number, cols: number): Matrix {
    return new Matrix(rows, cols);
  }

  /** From nested rows, e.g. [[1, 2], [3, 4]] (network.py's `tolist()` layout). */
  static fromRows(rows: readonly (readonly number[])[]): Matrix {
    const r = rows.length;
    const c = r > 0 ? rows[0].length : 0;
    const m = new Matrix(r, c);
    for (let i = 0; i < r; i++) {
      if (rows[i].length !== c) {
        throw new RangeError(`Matrix.fromRows: row ${i} has ${rows[i].length} values, row 0 has ${c}`);
      }
      m.data.set(rows[i], i * c);
    }
    return m;
  }

  /** A column vector (n×1). */
  static column(values: readonly number[]): Matrix {
    return new Matrix(values.length, 1, Float32Array.from(values));
  }

  /** "30×784": the shape as the book and the debug printouts write it. */
  get shape(): string {
    return `${this.rows}×${this.cols}`;
  }

  get size(): number {
    return this.rows * this.cols;
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j];
  }

  set(i: number, j: number, value: number): void {
    this.data[i * this.cols + j] = value;
  }

  toRows(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    }
    return out;
  }

  /** A copy with its own data. */
  clone(): Matrix {
    return new Matrix(this.rows, this.cols, this.data.slice());
  }

  /** "Matrix 30×784 [0.1234, -0.5, 1.2, …, 0.01]": the shape and a few values. */
  toString(): string {
    const n = this.data.length;
    const shown = n <= 6 ? Array.from(this.data) : [...this.data.subarray(0, 3), NaN, ...this.data.subarray(n - 2)];
    const values = shown.map((v, i) => (n > 6 && i === 3 ? '…' : formatValue(v)));
    return `Matrix ${this.shape} [${values.join(', ')}]`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString();
}
