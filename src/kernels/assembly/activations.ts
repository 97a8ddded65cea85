// kernels/assembly/activations.ts: the WebAssembly SIMD twin of ReLU in
// nn/activations.ts, four floats at a time, with the twin's own tests (z > 0
// keeps z, anything else, −0 and NaN included, gives +0; a ≤ 0 clears δ, a NaN
// a does not), so the results are the same bit for bit.

/** a[i] = z[i] > 0 ? z[i] : 0 for n floats (a may be z). */
export function reluForward(a: usize, z: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(z + (<usize>i << 2));
    v128.store(a + (<usize>i << 2), v128.bitselect(v, zero, f32x4.gt(v, zero)));
  }
  for (; i < n; i++) {
    const v = load<f32>(z + (<usize>i << 2));
    store<f32>(a + (<usize>i << 2), v > 0 ? v : 0);
  }
}

/** delta[i] = 0 where a[i] ≤ 0, for n floats: δ ⊙= relu′(z), given a = relu(z). */
export function reluBackward(delta: usize, a: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = delta + (<usize>i << 2);
    v128.store(p, v128.bitselect(zero, v128.load(p), f32x4.le(v128.load(a + (<usize>i << 2)), zero)));
  }
  for (; i < n; i++) if (load<f32>(a + (<usize>i << 2)) <= 0) store<f32>(delta + (<usize>i << 2), 0);
}
