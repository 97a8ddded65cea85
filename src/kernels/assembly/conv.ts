// kernels/assembly/conv.ts: the WebAssembly SIMD twins of kernels/conv.ts, the
// memory-bound loops around a convolution's gemm: im2col, col2im, 2×2
// max-pooling forward and backward, and the bias + layout change after the
// gemm. Same contracts, same shapes (see kernels/conv.ts), pointers are byte
// offsets into the module's memory. Each computes exactly what its twin does,
// bit for bit: copies and comparisons are exact, and every sum is formed in the
// twin's order (a test checks each against its twin).

@inline function addr(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** n floats from src to dst, four at a time. */
@inline function copyRun(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(addr(dst, i), v128.load(addr(src, i)));
  for (; i < n; i++) store<f32>(addr(dst, i), load<f32>(addr(src, i)));
}

/** dst[i] += src[i] for n floats, four at a time. */
@inline function addRun(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(addr(dst, i), f32x4.add(v128.load(addr(dst, i)), v128.load(addr(src, i))));
  for (; i < n; i++) store<f32>(addr(dst, i), load<f32>(addr(dst, i)) + load<f32>(addr(src, i)));
}

/** n floats of zero from dst. */
@inline function zero(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(addr(dst, i), z);
  for (; i < n; i++) store<f32>(addr(dst, i), 0);
}

/** cols ((C·k·k) × (m·OH·OW)) = the patches of the batch x: row (c, dy, dx), column (s, oy, ox) holds x[s][c][oy + dy][ox + dx]. */
export function im2col(cols: usize, x: usize, m: i32, C: i32, H: i32, W: i32, k: i32): void {
  const OH = H - k + 1;
  const OW = W - k + 1;
  let o = 0;
  for (let c = 0; c < C; c++) {
    for (let dy = 0; dy < k; dy++) {
      for (let dx = 0; dx < k; dx++) {
        for (let s = 0; s < m; s++) {
          const base = (s * C + c) * H * W + dy * W + dx;
          for (let oy = 0; oy < OH; oy++, o += OW) copyRun(addr(cols, o), addr(x, base + oy * W), OW);
        }
      }
    }
  }
}

/** dx (the batch's shape) = the columns' gradients added back where im2col took them from; each entry's sum in row order. */
export function col2im(dx: usize, dcols: usize, m: i32, C: i32, H: i32, W: i32, k: i32): void {
  const OH = H - k + 1;
  const OW = W - k + 1;
  zero(dx, m * C * H * W);
  let o = 0;
  for (let c = 0; c < C; c++) {
    for (let dy = 0; dy < k; dy++) {
      for (let ddx = 0; ddx < k; ddx++) {
        for (let s = 0; s < m; s++) {
          const base = (s * C + c) * H * W + dy * W + ddx;
          for (let oy = 0; oy < OH; oy++, o += OW) addRun(addr(dx, base + oy * W), addr(dcols, o), OW);
        }
      }
    }
  }
}

/**
 * 2×2 max-pooling, stride 2: y = the largest of each window, `where` (i32) its
 * index into x, the first on ties; four windows at a time, each compared in
 * the twin's order (top left, top right, bottom left, bottom right) with the
 * twin's test (greater than: a NaN never wins).
 */
export function maxPool2Forward(y: usize, where: usize, x: usize, m: i32, C: i32, H: i32, W: i32): void {
  const PH = H >> 1;
  const PW = W >> 1;
  const step = i32x4(0, 2, 4, 6);
  const one = i32x4.splat(1);
  const down = i32x4.splat(W);
  let o = 0;
  for (let sc = 0; sc < m * C; sc++) {
    const base = sc * H * W;
    for (let i = 0; i < PH; i++) {
      const top = base + 2 * i * W;
      let j = 0;
      for (; j + 4 <= PW; j += 4, o += 4) {
        const a = top + 2 * j;
        const t0 = v128.load(addr(x, a)), t1 = v128.load(addr(x, a + 4));
        const b0 = v128.load(addr(x, a + W)), b1 = v128.load(addr(x, a + W + 4));
        const tl = v128.shuffle<f32>(t0, t1, 0, 2, 4, 6), tr = v128.shuffle<f32>(t0, t1, 1, 3, 5, 7);
        const bl = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6), br = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        const at = i32x4.add(i32x4.splat(a), step);
        let v = tl;
        let best = at;
        let gt = f32x4.gt(tr, v);
        v = v128.bitselect(tr, v, gt);
        best = v128.bitselect(i32x4.add(at, one), best, gt);
        gt = f32x4.gt(bl, v);
        v = v128.bitselect(bl, v, gt);
        best = v128.bitselect(i32x4.add(at, down), best, gt);
        gt = f32x4.gt(br, v);
        v = v128.bitselect(br, v, gt);
        best = v128.bitselect(i32x4.add(i32x4.add(at, down), one), best, gt);
        v128.store(addr(y, o), v);
        v128.store(addr(where, o), best);
      }
      for (; j < PW; j++, o++) {
        const a = top + 2 * j;
        let b = a;
        let v = load<f32>(addr(x, a));
        if (load<f32>(addr(x, a + 1)) > v) { v = load<f32>(addr(x, a + 1)); b = a + 1; }
        if (load<f32>(addr(x, a + W)) > v) { v = load<f32>(addr(x, a + W)); b = a + W; }
        if (load<f32>(addr(x, a + W + 1)) > v) { v = load<f32>(addr(x, a + W + 1)); b = a + W + 1; }
        store<f32>(addr(y, o), v);
        store<i32>(addr(where, o), b);
      }
    }
  }
}

/** dx (size floats) = 0 except at each window's maximum, which gets that window's dy (count windows). */
export function maxPool2Backward(dx: usize, dy: usize, where: usize, count: i32, size: i32): void {
  zero(dx, size);
  for (let o = 0; o < count; o++) {
    const p = addr(dx, load<i32>(addr(where, o)));
    store<f32>(p, load<f32>(p) + load<f32>(addr(dy, o)));
  }
}

/**
 * After a convolution's gemm: a (sample by sample, F maps of P each) = z (the
 * gemm's layout, F × (m·P)) + b, each map's bias added to all its positions.
 */
export function addBiasMaps(a: usize, z: usize, b: usize, F: i32, m: i32, P: i32): void {
  for (let f = 0; f < F; f++) {
    const bf = load<f32>(addr(b, f));
    const vb = f32x4.splat(bf);
    for (let s = 0; s < m; s++) {
      const from = addr(z, f * m * P + s * P);
      const to = addr(a, (s * F + f) * P);
      let p = 0;
      for (; p + 4 <= P; p += 4) v128.store(addr(to, p), f32x4.add(v128.load(addr(from, p)), vb));
      for (; p < P; p++) store<f32>(addr(to, p), load<f32>(addr(from, p)) + bf);
    }
  }
}

/**
 * Before a convolution's backward gemms: dz (F × (m·P)) = delta (sample by
 * sample) moved back to the gemm's layout, and, if gb is not 0, gb[f] = the
 * sum of map f's δ over the batch, added in the twin's order in double
 * precision (as JavaScript adds) and rounded once.
 */
export function mapsToRows(dz: usize, delta: usize, gb: usize, F: i32, m: i32, P: i32): void {
  for (let f = 0; f < F; f++) {
    let sum: f64 = 0;
    for (let s = 0; s < m; s++) {
      const from = addr(delta, (s * F + f) * P);
      const to = addr(dz, f * m * P + s * P);
      copyRun(to, from, P);
      if (gb != 0) for (let p = 0; p < P; p++) sum += <f64>load<f32>(addr(from, p));
    }
    if (gb != 0) store<f32>(addr(gb, f), <f32>sum);
  }
}
