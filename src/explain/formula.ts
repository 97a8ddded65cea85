// explain/formula.ts: writing a formula with its numbers plugged in: numbers
// to four significant digits (negative ones in parentheses where they are
// multiplied), index subscripts, and a long sum as its largest terms and the
// rest ("+ … 148 more terms (0.0312)"); an activation and its derivative
// with their numbers.

import type { Activation } from '../nn/activations.js';

const SUBSCRIPTS = '₀₁₂₃₄₅₆₇₈₉';
const MINUS = '−';

/** 12 → "₁₂". */
export function sub(n: number): string {
  return String(n).replace(/\d/g, (d) => SUBSCRIPTS[Number(d)]);
}

/** A number as the formulas show it: four significant digits, a true minus sign. */
export function num(v: number): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const text = a >= 1e-4 && a < 1e6 ? String(Number(a.toPrecision(4))) : a.toExponential(3).replace(/\.?0+e/, 'e');
  return v < 0 ? `${MINUS}${text}` : text;
}

/** A factor in a product: negative numbers in parentheses. */
export function factor(v: number): string {
  return v < 0 ? `(${num(v)})` : num(v);
}

/** One term of a sum: two factors and where they come from, for ordering by size. */
export interface Term {
  a: number;
  b: number;
}

/**
 * Σ a·b written out: every term when there are at most `show`, else the
 * `show` largest by size and the rest as one number. Terms that are zero
 * (a pixel with no ink, a unit that did not fire) are counted, not listed.
 * Returns the text and the sum in double precision. `plain`: the terms are
 * single values (b is 1), written without the product.
 */
export function sumText(terms: readonly Term[], show = 4, plain = false): { text: string; sum: number } {
  let sum = 0;
  const live: { t: Term; p: number }[] = [];
  for (const t of terms) {
    const p = t.a * t.b;
    sum += p;
    if (p !== 0) live.push({ t, p });
  }
  const zeros = terms.length - live.length;
  const zeroText = zeros ? ` (${zeros} of the ${terms.length} terms are 0)` : '';
  if (live.length === 0) return { text: `0${zeroText}`, sum: 0 };
  const listed = live.length <= show + 1 ? live : [...live].sort((x, y) => Math.abs(y.p) - Math.abs(x.p)).slice(0, show);
  let rest = 0;
  const kept = new Set(listed);
  for (const l of live) if (!kept.has(l)) rest += l.p;
  const parts = listed.map((l) => (plain ? factor(l.t.a) : `${factor(l.t.a)}·${factor(l.t.b)}`));
  const more = live.length - listed.length;
  if (more) parts.push(`… ${more} more term${more === 1 ? '' : 's'} (${num(rest)})`);
  return { text: parts.join(' + ') + zeroText, sum };
}

/** Σ of plain values, written as sumText writes products. */
export function valuesText(values: readonly number[], show = 4): { text: string; sum: number } {
  return sumText(values.map((v) => ({ a: v, b: 1 })), show, true);
}

/** An activation's symbol in the formulas: σ, relu, tanh, softmax, linear. */
export const fSym = (f: Activation | 'softmax'): string => (f === 'softmax' ? 'softmax' : f.name === 'sigmoid' ? 'σ' : f.name);

/** f(z) with the numbers (zs: the layer's z, for softmax). */
export function activationText(f: Activation | 'softmax', z: number, a: number, zs: Float32Array, j: number): string {
  if (f === 'softmax') {
    let max = -Infinity;
    for (const v of zs) max = Math.max(max, v);
    let sum = 0;
    for (const v of zs) sum += Math.exp(v - max);
    return `e^(z${sub(j)} − max z) / Σₖ e^(zₖ − max z) = e^(${num(z - max)}) / ${num(sum)} = ${num(Math.exp(z - max))} / ${num(sum)} = ${num(a)}`;
  }
  if (f.name === 'sigmoid') return `1 / (1 + e^(−z)) = 1 / (1 + e^(${num(-z)})) = ${num(a)}`;
  if (f.name === 'relu') return `max(0, z) = max(0, ${num(z)}) = ${num(a)}`;
  if (f.name === 'linear') return `${num(a)} (linear: a = z)`;
  return `tanh(${num(z)}) = ${num(a)}`;
}

/** f′(z) with the numbers (from a = f(z), as the library takes it). */
export function derivative(f: Activation, z: number, a: number): { text: string; value: number } {
  if (f.name === 'sigmoid') {
    const v = a * (1 - a);
    return { text: `σ′(z) = a(1 − a) = ${num(a)}·(1 − ${num(a)}) = ${num(v)}`, value: v };
  }
  if (f.name === 'relu') return { text: `relu′(z) = ${z > 0 ? `1 (z = ${num(z)} > 0)` : `0 (z = ${num(z)} ≤ 0)`}`, value: z > 0 ? 1 : 0 };
  if (f.name === 'linear') return { text: 'linear′(z) = 1', value: 1 };
  const v = 1 - a * a;
  return { text: `tanh′(z) = 1 − a² = 1 − ${num(a)}² = ${num(v)}`, value: v };
}
