// tensor/matrix.ts: the Matrix type, a Float32Array with a shape and a
// storage order. A Matrix is a view: it never copies its data, so weights can
// be views into one parameter buffer. It knows nothing of networks; the
// checked operations on matrices live in tensor/ops.ts.
//
// Storage order: 'row' (row-major, the default) keeps each row contiguous;
// 'col' (column-major) keeps each column contiguous. The network's
// activations are n × m matrices with one sample per column, as in the book,
// stored 'col' so that each sample's values sit together in memory (what the
// fast kernels and the gather of a mini-batch want). The shapes and the maths
// are the same either way; only `stride` differs. Matrix.view makes a window
// with any strides (some rows of a column-major matrix, say): 'strided' order.

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export type Order = 'row' | 'col' | 'strided';

export class Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Entry (i, j) is data[i * rowStride + j * colStride]. */
  readonly data: Float32Array;
  readonly order: Order;
  /** How far apart in `data` two entries are that are one row apart: cols for 'row', 1 for 'col'. */
  readonly rowStride: number;
  /** How far apart two entries are that are one column apart: 1 for 'row', rows for 'col'. */
  readonly colStride: number;

  /** `strides` (row, column) only with order 'strided'; use Matrix.view, which checks them. */
  constructor(rows: number, cols: number, data?: Float32Array, order: Order = 'row', strides?: readonly [number, number]) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
      throw new RangeError(`Matrix: rows and cols must be positive integers, got ${rows}×${cols}`);
    }
    if ((order === 'strided') !== (strides !== undefined)) {
      throw new RangeError("Matrix: strides go with order 'strided' (see Matrix.view), and only with it");
    }
    if (data && data.length !== rows * cols && order !== 'strided') {
      throw new RangeError(
        `Matrix: a ${rows}×${cols} matrix needs ${rows * cols} values, got ${data.length}`,
      );
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data ?? new Float32Array(rows * cols);
    this.order = order;
    this.rowStride = strides ? strides[0] : order === 'col' ? 1 : cols;
    this.colStride = strides ? strides[1] : order === 'col' ? rows : 1;
  }

  /**
   * A rows×cols window onto `data` with entry (i, j) at i·rowStride + j·colStride
   * (no copy): e.g. rows i0..i1 of a column-major n×m matrix are
   * Matrix.view(a.data.subarray(i0), i1 − i0, m, 1, n).
   */
  static view(data: Float32Array, rows: number, cols: number, rowStride: number, colStride: number): Matrix {
    const needed = (rows - 1) * rowStride + (cols - 1) * colStride + 1;
    if (data.length < needed) {
      throw new RangeError(`Matrix.view: a ${rows}×${cols} view with strides ${rowStride}, ${colStride} needs ${needed} values, got ${data.length}`);
    }
    return new Matrix(rows, cols, data, 'strided', [rowStride, colStride]);
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
    return this.data[i * this.rowStride + j * this.colStride];
  }

  set(i: number, j: number, value: number): void {
    this.data[i * this.rowStride + j * this.colStride] = value;
  }

  toRows(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      const row: number[] = [];
      for (let j = 0; j < this.cols; j++) row.push(this.get(i, j));
      out.push(row);
    }
    return out;
  }

  /** A copy with its own data (and the same storage order; a strided view copies to row-major). */
  clone(): Matrix {
    if (this.order === 'strided') return Matrix.fromRows(this.toRows());
    return new Matrix(this.rows, this.cols, this.data.slice(), this.order);
  }

  /** "Matrix 30×784 [0.1234, -0.5, 1.2, …, 0.01]": the shape and a few values, row by row. */
  toString(): string {
    const n = this.size;
    const at = (k: number) => this.get(Math.floor(k / this.cols), k % this.cols);
    const ks = n <= 6 ? [...Array(n).keys()] : [0, 1, 2, -1, n - 2, n - 1];
    const values = ks.map((k) => (k < 0 ? '…' : formatValue(at(k))));
    const note = this.order === 'col' ? ' (column-major)' : this.order === 'strided' ? ' (view)' : '';
    return `Matrix ${this.shape}${note} [${values.join(', ')}]`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString();
}
