// nn/preview.ts: a short, safe rendering of any value read from a file, for
// an error message: bounded in length and never recursive (a hostile file's
// deeply nested list must not become a "Maximum call stack size exceeded").

export function preview(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return typeof v;
}
