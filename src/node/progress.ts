// node/progress.ts: training progress for a terminal. On a TTY, one
// redrawn line per epoch with a bar, samples/s and the time left; elsewhere
// (a log file, CI) a plain line at most every few seconds.

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function fmtSeconds(s: number): string {
  if (s < 1) return `${s.toFixed(2)} s`;
  if (s < 59.95) return `${s.toFixed(1)} s`;
  const whole = Math.round(s); // rounded before the split: 659.6 s is 11 min 00 s, not 10 min 60 s
  const m = Math.floor(whole / 60);
  return `${m} min ${String(whole - 60 * m).padStart(2, '0')} s`;
}

interface Stream {
  write(s: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export class Progress {
  private epochStarted = 0;
  private lastDraw = 0;
  private drawn = false;
  private readonly tty: boolean;

  constructor(
    private readonly out: Stream,
    private readonly epochs: number,
    private readonly plainEverySeconds = 10,
    private readonly ttyEverySeconds = 0.1,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  startEpoch(): void {
    this.epochStarted = performance.now();
    this.lastDraw = this.epochStarted;
  }

  update(epoch: number, done: number, total: number): void {
    const now = performance.now();
    const interval = 1000 * (this.tty ? this.ttyEverySeconds : this.plainEverySeconds);
    if (now - this.lastDraw < interval || done >= total) return;
    this.lastDraw = now;
    const seconds = (now - this.epochStarted) / 1000;
    const rate = done / seconds;
    const eta = (total - done) / rate;
    const counts = `${fmtInt(done)}/${fmtInt(total)}  ${fmtInt(rate)} samples/s  ETA ${fmtSeconds(eta)}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((width * done) / total);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      const pct = `${Math.floor((100 * done) / total)}%`.padStart(4);
      this.out.write(`\r\x1b[2KEpoch ${epoch}/${this.epochs} ${bar} ${pct}  ${counts}`);
      this.drawn = true;
    } else {
      this.out.write(`  epoch ${epoch}: ${counts}\n`);
    }
  }

  /** Removes the bar so the next line starts clean. */
  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}

/** Download progress: a redrawn line on a TTY, a plain line every few seconds elsewhere. */
export class DownloadProgress {
  private lastDraw = 0;
  private drawn = false;
  private started = performance.now();
  private file = '';
  private readonly tty: boolean;

  constructor(private readonly out: Stream, private readonly plainEverySeconds = 10) {
    this.tty = Boolean(out.isTTY);
  }

  update(p: { file: string; done: number; total: number | null }): void {
    const now = performance.now();
    if (p.file !== this.file) {
      this.file = p.file;
      this.started = now;
    }
    const interval = this.tty ? 100 : this.plainEverySeconds * 1000;
    if (now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const rate = p.done / Math.max((now - this.started) / 1000, 1e-3);
    const of = p.total ? ` / ${mb(p.total)} MB (${Math.floor((100 * p.done) / p.total)}%)` : ' MB';
    const line = `${p.file}: ${mb(p.done)}${of}  ${mb(rate)} MB/s`;
    if (this.tty) {
      this.out.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      this.out.write(`  ${line}\n`);
    }
  }

  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
