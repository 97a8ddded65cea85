// plot/chart.ts: training curves as an SVG document (no library, no DOM):
// accuracy per epoch above, cost per epoch below, one line per run and
// quantity, labelled axes and a legend, as the book's figures compare runs.
// A browser opens the file as it is.

/** One epoch of a run, as metrics.json keeps it; accuracies are 0–1. */
export interface EpochMetrics {
  epoch: number;
  evalAccuracy?: number;
  trainAccuracy?: number;
  evalCost?: number;
  trainCost?: number;
}

export interface Run {
  label: string;
  epochs: EpochMetrics[];
}

const QUANTITIES = [
  { key: 'evalAccuracy', name: 'eval-acc', panel: 'accuracy', dash: '' },
  { key: 'trainAccuracy', name: 'train-acc', panel: 'accuracy', dash: '6 3' },
  { key: 'evalCost', name: 'eval-cost', panel: 'cost', dash: '' },
  { key: 'trainCost', name: 'train-cost', panel: 'cost', dash: '6 3' },
] as const;

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number) => Number(v.toFixed(2)).toString();

/** The widest a character of the 12 px legend text may be (system-ui's widest letters: W, M). */
export const LEGEND_CHAR_PX = 7.5;

/** Round axis ticks covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** The SVG text of the runs' curves. */
export function chartSvg(runs: Run[], title = 'training curves'): string {
  const panelH = 240;
  const left = 70;
  const top = 40;
  const gap = 60;
  const seriesOf = (panel: 'accuracy' | 'cost') =>
    runs.flatMap((r, ri) =>
      QUANTITIES.filter((q) => q.panel === panel && r.epochs.some((e) => e[q.key] !== undefined)).map((q) => ({ run: r, ri, q })),
    );
  // the legend sits right of the plot: as wide as its longest name needs (12 px text is under 7.5 px a character)
  const longest = Math.max(0, ...(['accuracy', 'cost'] as const).flatMap((p) => seriesOf(p).map(({ run, q }) => `${run.label}: ${q.name}`.length)));
  const right = Math.max(200, 42 + Math.ceil(longest * LEGEND_CHAR_PX) + 10);
  const W = left + 490 + right;
  // a panel only for what was monitored (the accuracy one always, so an empty chart still has axes)
  const panels = (['accuracy', 'cost'] as const).filter((p) => p === 'accuracy' || seriesOf(p).length > 0);
  const H = top + panels.length * panelH + (panels.length - 1) * gap + 50;
  const maxEpoch = Math.max(1, ...runs.flatMap((r) => r.epochs.map((e) => e.epoch)));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (const [p, panel] of panels.entries()) {
    const y0 = top + p * (panelH + gap);
    let legendY = y0 + 10;
    const series = seriesOf(panel);
    const values = series.flatMap(({ run, q }) => run.epochs.map((e) => e[q.key]).filter((v): v is number => v !== undefined));
    const scale = panel === 'accuracy' ? 100 : 1;
    let lo = values.length ? Math.min(...values) * scale : 0;
    let hi = values.length ? Math.max(...values) * scale : 1;
    if (hi - lo < 1e-9) {
      lo -= 0.5;
      hi += 0.5;
    }
    const pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
    const x = (epoch: number) => left + ((W - left - right) * (epoch - (maxEpoch > 1 ? 1 : 0))) / Math.max(1, maxEpoch - 1);
    const y = (v: number) => y0 + panelH - (panelH * (v * scale - lo)) / (hi - lo);
    out.push(`<g class="panel" data-panel="${panel}">`);
    out.push(`<rect x="${left}" y="${y0}" width="${W - left - right}" height="${panelH}" fill="none" stroke="#999"/>`);
    for (const t of ticks(lo, hi)) {
      const ty = y0 + panelH - (panelH * (t - lo)) / (hi - lo);
      out.push(`<line x1="${left - 4}" y1="${num(ty)}" x2="${W - right}" y2="${num(ty)}" stroke="#eee"/>`);
      out.push(`<text x="${left - 8}" y="${num(ty + 4)}" text-anchor="end">${t}</text>`);
    }
    for (const t of ticks(1, maxEpoch, Math.min(10, maxEpoch)).filter((e) => Number.isInteger(e))) {
      out.push(`<text x="${num(x(t))}" y="${y0 + panelH + 16}" text-anchor="middle">${t}</text>`);
    }
    out.push(`<text x="${(left + W - right) / 2}" y="${y0 + panelH + 34}" text-anchor="middle">epoch</text>`);
    const label = panel === 'accuracy' ? 'accuracy (%)' : 'cost';
    out.push(`<text transform="translate(18 ${y0 + panelH / 2}) rotate(-90)" text-anchor="middle">${label}</text>`);
    for (const { run, ri, q } of series) {
      const pts = run.epochs.filter((e) => e[q.key] !== undefined).map((e) => `${num(x(e.epoch))},${num(y(e[q.key]!))}`);
      const color = COLORS[ri % COLORS.length];
      const name = `${run.label}: ${q.name}`;
      out.push(
        `<polyline class="series" data-series="${esc(name)}" points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${q.dash ? ` stroke-dasharray="${q.dash}"` : ''}/>`,
      );
      out.push(`<line x1="${W - right + 12}" y1="${legendY}" x2="${W - right + 36}" y2="${legendY}" stroke="${color}" stroke-width="2"${q.dash ? ` stroke-dasharray="${q.dash}"` : ''}/>`);
      out.push(`<text x="${W - right + 42}" y="${legendY + 4}">${esc(name)}</text>`);
      legendY += 18;
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
