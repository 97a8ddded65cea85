// web/pad.ts: the drawing pad: Pointer Events, so mouse, finger and pen all
// draw; `touch-action: none` keeps the page from scrolling under a finger.
// Keeps the strokes as points (what preprocessing reads) and paints them
// sharp on high-DPI screens, with round caps and joins.

import type { Point, Stroke } from '../src/draw/preprocess.js';

export class Pad {
  readonly strokes: Point[][] = [];
  private current: Point[] | null = null;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** Called while drawing (moving) and when a stroke ends or the pad changes. */
    private readonly onChange: (strokes: readonly Stroke[], final: boolean) => void,
  ) {
    this.ctx = canvas.getContext('2d')!;
    this.resize();
    new ResizeObserver(() => this.resize()).observe(canvas);
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
  }

  /** The pen width in CSS pixels: about MNIST's stroke for a digit filling most of the pad. */
  private get penWidth(): number {
    return Math.max(8, this.canvas.clientWidth / 16);
  }

  private point(e: PointerEvent): Point {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.current = [this.point(e)];
    this.strokes.push(this.current);
    this.paint();
    this.onChange(this.strokes, false);
  }

  private move(e: PointerEvent): void {
    if (!this.current) return;
    e.preventDefault();
    // coalesced events keep fast strokes smooth
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [e];
    for (const c of events.length ? events : [e]) this.current.push(this.point(c));
    this.paint();
    this.onChange(this.strokes, false);
  }

  private up(e: PointerEvent): void {
    if (!this.current) return;
    e.preventDefault();
    this.current = null;
    this.onChange(this.strokes, true);
  }

  clear(): void {
    this.strokes.length = 0;
    this.current = null;
    this.paint();
    this.onChange(this.strokes, true);
  }

  undo(): void {
    this.strokes.pop();
    this.current = null;
    this.paint();
    this.onChange(this.strokes, true);
  }

  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(this.canvas.clientWidth * dpr);
    const h = Math.round(this.canvas.clientHeight * dpr);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.paint();
  }

  private paint(): void {
    const c = this.ctx;
    c.save();
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.fillStyle = '#000';
    c.fillRect(0, 0, this.canvas.width, this.canvas.height);
    c.restore();
    c.strokeStyle = '#fff';
    c.fillStyle = '#fff';
    c.lineWidth = this.penWidth;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    for (const s of this.strokes) {
      if (s.length === 1) {
        c.beginPath();
        c.arc(s[0].x, s[0].y, this.penWidth / 2, 0, 2 * Math.PI);
        c.fill();
        continue;
      }
      c.beginPath();
      c.moveTo(s[0].x, s[0].y);
      for (let i = 1; i < s.length; i++) c.lineTo(s[i].x, s[i].y);
      c.stroke();
    }
  }
}
