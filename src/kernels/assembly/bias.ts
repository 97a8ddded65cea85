// kernels/assembly/bias.ts: the WebAssembly SIMD twins of the dense layer's
// bias loops in kernels/elementwise.ts, for matrices stored one sample per
// column (rows contiguous): z += b in every column, and BP3's ∇b = the sum of
// δ's columns. Each float is formed as the twin forms it (the columns taken
// in order, from +0 for the sum), four rows at a time, so the bits are the same.

/** z(i, j) += b(i) for a rows×cols matrix whose column j starts at z + j·cs floats. */
export function addColumn(z: usize, b: usize, rows: i32, cols: i32, cs: i32): void {
  for (let j = 0; j < cols; j++) {
    const zj = z + (<usize>(j * cs) << 2);
    let i = 0;
    for (; i + 4 <= rows; i += 4) {
      const p = zj + (<usize>i << 2);
      v128.store(p, f32x4.add(v128.load(p), v128.load(b + (<usize>i << 2))));
    }
    for (; i < rows; i++) {
      const p = zj + (<usize>i << 2);
      store<f32>(p, load<f32>(p) + load<f32>(b + (<usize>i << 2)));
    }
  }
}

/** out(i) = Σⱼ a(i, j), j in order from +0, for a rows×cols matrix whose column j starts at a + j·cs floats. */
export function sumColumns(out: usize, a: usize, rows: i32, cols: i32, cs: i32): void {
  let i = 0;
  for (; i + 16 <= rows; i += 16) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let j = 0; j < cols; j++) {
      const p = a + (<usize>(j * cs + i) << 2);
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
    }
    const o = out + (<usize>i << 2);
    v128.store(o, s0); v128.store(o, s1, 16); v128.store(o, s2, 32); v128.store(o, s3, 48);
  }
  for (; i + 4 <= rows; i += 4) {
    let s = f32x4.splat(0);
    for (let j = 0; j < cols; j++) s = f32x4.add(s, v128.load(a + (<usize>(j * cs + i) << 2)));
    v128.store(out + (<usize>i << 2), s);
  }
  for (; i < rows; i++) {
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) s += load<f32>(a + (<usize>(j * cs + i) << 2));
    store<f32>(out + (<usize>i << 2), s);
  }
}
