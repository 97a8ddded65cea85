// kernels/conv.ts: the loops behind convolutional layers (chapter 6), ready
// for the layer stack: im2col turns a mini-batch's k×k patches into columns so
// that a convolution is one gemm (kernels/gemm.ts or the SIMD twin), col2im
// sends the gradients of those columns back to the input, and 2×2 max-pooling
// goes forward (remembering where each maximum was) and backward; and the
// change of layout, with the bias, on either side of the gemm. These are the
// reference twins of assembly/conv.ts, which tensor/conv-ops.ts runs on arrays
// in WebAssembly memory.
// Bare loops, no checks, no allocation. Shapes: a sample is C maps of H×W,
// stored map by map, row by row (C·H·W contiguous floats); a mini-batch of m
// samples is m such blocks one after the other. Convolutions are "valid",
// stride 1: OH = H − k + 1, OW = W − k + 1.

/**
 * cols ((C·k·k) × (m·OH·OW), row-major) = the patches of the batch x: row
 * (c, dy, dx), column (s, oy, ox) holds x[s][c][oy + dy][ox + dx].
 */
export function im2col(cols: Float32Array, x: Float32Array, m: number, C: number, H: number, W: number, k: number): void {
  const OH = H - k + 1;
  const OW = W - k + 1;
  const n = m * OH * OW; // columns
  let row = 0;
  for (let c = 0; c < C; c++) {
    for (let dy = 0; dy < k; dy++) {
      for (let dx = 0; dx < k; dx++, row++) {
        let o = row * n;
        for (let s = 0; s < m; s++) {
          const base = (s * C + c) * H * W + dy * W + dx;
          for (let oy = 0; oy < OH; oy++) {
            const src = base + oy * W;
            for (let ox = 0; ox < OW; ox++) cols[o++] = x[src + ox];
          }
        }
      }
    }
  }
}

/** dx (the batch's shape) = the columns' gradients added back where im2col took them from (col2im). */
export function col2im(dx: Float32Array, dcols: Float32Array, m: number, C: number, H: number, W: number, k: number): void {
  const OH = H - k + 1;
  const OW = W - k + 1;
  const n = m * OH * OW;
  dx.fill(0, 0, m * C * H * W);
  let row = 0;
  for (let c = 0; c < C; c++) {
    for (let dy = 0; dy < k; dy++) {
      for (let ddx = 0; ddx < k; ddx++, row++) {
        let o = row * n;
        for (let s = 0; s < m; s++) {
          const base = (s * C + c) * H * W + dy * W + ddx;
          for (let oy = 0; oy < OH; oy++) {
            const dst = base + oy * W;
            for (let ox = 0; ox < OW; ox++) dx[dst + ox] += dcols[o++];
          }
        }
      }
    }
  }
}

/**
 * 2×2 max-pooling with stride 2 over a batch of m samples of C maps H×W (H, W
 * even): y[s][c][i][j] = the largest of the four, and `where` its index into
 * x (the first one on ties), for the backward pass.
 */
export function maxPool2Forward(
  y: Float32Array, where: Int32Array, x: Float32Array, m: number, C: number, H: number, W: number,
): void {
  const PH = H >> 1;
  const PW = W >> 1;
  let o = 0;
  for (let sc = 0; sc < m * C; sc++) {
    const base = sc * H * W;
    for (let i = 0; i < PH; i++) {
      for (let j = 0; j < PW; j++, o++) {
        const a = base + 2 * i * W + 2 * j; // the window's top-left
        let best = a;
        let v = x[a];
        if (x[a + 1] > v) {
          v = x[a + 1];
          best = a + 1;
        }
        if (x[a + W] > v) {
          v = x[a + W];
          best = a + W;
        }
        if (x[a + W + 1] > v) {
          v = x[a + W + 1];
          best = a + W + 1;
        }
        y[o] = v;
        where[o] = best;
      }
    }
  }
}

/** dx = 0 except at each pooling window's maximum, which gets that window's gradient dy. */
export function maxPool2Backward(dx: Float32Array, dy: Float32Array, where: Int32Array, count: number, size: number): void {
  dx.fill(0, 0, size);
  for (let o = 0; o < count; o++) dx[where[o]] += dy[o];
}

/**
 * After a convolution's gemm: a (sample by sample, F maps of P positions each)
 * = z (the gemm's layout, F × (m·P): map by map, the batch's positions) + b.
 */
export function addBiasMaps(a: Float32Array, z: Float32Array, b: Float32Array, F: number, m: number, P: number): void {
  for (let f = 0; f < F; f++) {
    const bf = b[f];
    for (let s = 0; s < m; s++) {
      const from = f * m * P + s * P;
      const to = (s * F + f) * P;
      for (let p = 0; p < P; p++) a[to + p] = z[from + p] + bf;
    }
  }
}

/**
 * Before a convolution's backward gemms: dz (F × (m·P)) = delta (sample by
 * sample) back in the gemm's layout, and gb[f] = Σ of map f's δ over the batch
 * (∇b), unless gb is null.
 */
export function mapsToRows(dz: Float32Array, delta: Float32Array, gb: Float32Array | null, F: number, m: number, P: number): void {
  for (let f = 0; f < F; f++) {
    let sum = 0;
    for (let s = 0; s < m; s++) {
      const from = (s * F + f) * P;
      const to = f * m * P + s * P;
      for (let p = 0; p < P; p++) {
        dz[to + p] = delta[from + p];
        sum += delta[from + p];
      }
    }
    if (gb) gb[f] = sum;
  }
}
