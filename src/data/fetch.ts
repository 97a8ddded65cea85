// data/fetch.ts: downloading a dataset's IDX files with the platform's own
// fetch, the same code in Node, in the page and in a worker. Each file is
// streamed (with progress), decompressed if gzipped (DecompressionStream),
// and accepted only if its length, its SHA-256 (crypto.subtle) and its IDX
// header all match the dataset's descriptor. A request that fails for a
// passing reason (network error, timeout, HTTP 5xx, cut-off body) is retried
// with backoff; anything else moves on to the next mirror; when every
// mirror has failed, one error lists what each answered. Keeps nothing on
// disk: see src/node/cache.ts for that.

import type { Dataset, DatasetFile } from './datasets.js';
import { DataFileError, gunzipIfNeeded, parseIdxImages, parseIdxLabels } from './idx.js';
import type { MnistFileKey, NamedBytes } from './mnist.js';

export interface Progress {
  file: string;
  url: string;
  /** Bytes received so far (as sent: compressed). */
  done: number;
  /** The response's Content-Length, if it gave one. */
  total: number | null;
}

export interface FetchOptions {
  /** Base URLs to try in order, instead of the dataset's own mirrors. */
  mirrors?: readonly string[];
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Give up on a request when no bytes arrived for this long (default 30 s); retried. */
  timeoutMs?: number;
  /**
   * After twice timeoutMs, a download slower on average than this moves on to
   * the next mirror (default 16 KiB/s: a server that drips bytes is not waited
   * for); 0 turns the check off.
   */
  minBytesPerSecond?: number;
  /**
   * The most one download of one file may take (default: twice timeoutMs plus
   * the file's size at minBytesPerSecond; with the check off, no limit).
   */
  deadlineMs?: number;
  /** Extra attempts per mirror after a passing failure (default 2). */
  retries?: number;
  /** The first wait before a retry; it doubles each time (default 500 ms). */
  backoffMs?: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** Every mirror failed for a file; the message lists what each one answered. */
export class DownloadError extends DataFileError {
  override name = 'DownloadError';
}

/** A failure worth retrying on the same mirror. */
class PassingError extends Error {}

/** SHA-256 of the bytes as lowercase hex, with the platform's crypto.subtle. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Checks decompressed IDX bytes against the descriptor: length, SHA-256, and
 * an IDX header with the expected count. Throws a DataFileError naming `name`.
 */
export async function verifyFile(file: DatasetFile, key: MnistFileKey, bytes: Uint8Array, name: string): Promise<void> {
  if (bytes.length !== file.bytes) {
    throw new DataFileError(`${name}: ${bytes.length} bytes, expected ${file.bytes}`);
  }
  const digest = await sha256Hex(bytes);
  if (digest !== file.sha256) {
    throw new DataFileError(`${name}: SHA-256 is ${digest}, expected ${file.sha256}`);
  }
  const parsed = key.endsWith('Images') ? parseIdxImages(bytes, name) : parseIdxLabels(bytes, name);
  if (parsed.count !== file.count) {
    throw new DataFileError(`${name}: holds ${parsed.count} items, expected ${file.count}`);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** The most bytes a mirror may send for a file of `bytes` decompressed bytes: the file itself, or gzip's worst case of it. */
export function bodyBudget(bytes: number): number {
  return bytes + Math.ceil(bytes / 256) + 4096;
}

/**
 * One GET of `url`, streamed into memory, with limits a hostile or broken
 * server cannot get around: at most `maxBytes` (announced or sent), an idle
 * timeout, a minimum average rate, and a deadline for the whole file.
 */
async function get(url: string, file: string, o: FetchOptions, maxBytes: number): Promise<Uint8Array> {
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const minRate = o.minBytesPerSecond ?? 16 * 1024;
  const graceMs = 2 * timeoutMs; // a stall is the idle timeout's (retried); a drip is the rate's
  const deadlineMs = o.deadlineMs ?? (minRate > 0 ? graceMs + (maxBytes / minRate) * 1000 : Infinity);
  const controller = new AbortController();
  const onAbort = () => controller.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const started = performance.now();
  let lastData = started;
  let done = 0;
  /** Why the watchdog stopped the request: passing (idle: retried) or not (too slow, too late: next mirror). */
  let stopped: PassingError | Error | null = null;
  let receiving = false;
  const secs = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;
  const stop = (why: PassingError | Error) => {
    stopped ??= why;
    controller.abort();
  };
  const watchdog = setInterval(() => {
    const now = performance.now();
    const seconds = (now - started) / 1000;
    if (now - lastData > timeoutMs) {
      stop(new PassingError(done === 0 && !receiving ? `no answer within ${secs(timeoutMs)}` : `no data for ${secs(timeoutMs)} after ${done} bytes (timed out)`));
    } else if (now - started > deadlineMs) {
      stop(new Error(`not done within ${secs(deadlineMs)} (${done} bytes received); a slow connection can pass a longer deadline`));
    } else if (minRate > 0 && now - started > graceMs && done / seconds < minRate) {
      stop(new Error(`too slow: ${done} bytes in ${seconds.toFixed(1)} s, below ${(minRate / 1024).toFixed(0)} KiB/s; a slow connection can pass a longer deadline`));
    }
  }, Math.max(5, Math.min(1000, timeoutMs / 4)));
  try {
    let res: Response;
    try {
      res = await doFetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (err) {
      if (o.signal?.aborted) throw err;
      if (stopped) throw stopped;
      const why = describe(err);
      if (/redirect/i.test(why)) throw new Error(`too many redirects (a redirect loop): ${why}`); // permanent: not retried
      throw new PassingError(`request failed (${why})`);
    }
    receiving = true;
    lastData = performance.now();
    if (!res.ok || !res.body) {
      const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
      await res.body?.cancel().catch(() => {});
      if (res.status >= 500 || res.status === 429) throw new PassingError(status);
      throw new Error(status);
    }
    const lengthHeader = res.headers.get('content-length');
    const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    if (total !== null && total > maxBytes) {
      await res.body.cancel().catch(() => {});
      throw new Error(`the server announces ${total} bytes, more than this file can be (${maxBytes})`);
    }
    // one buffer, allocated once: the announced size, else the most the file can be
    const bytes = new Uint8Array(total ?? maxBytes);
    const reader = res.body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (o.signal?.aborted) throw err;
        if (stopped) throw stopped;
        throw new PassingError(`connection broke after ${done}${total !== null ? ` of ${total}` : ''} bytes (${describe(err)})`);
      }
      if (chunk.done) break;
      lastData = performance.now();
      const c = chunk.value;
      if (done + c.length > maxBytes || (total !== null && done + c.length > total)) {
        await reader.cancel().catch(() => {});
        throw new Error(`the server sent more than ${total ?? maxBytes} bytes, more than ${total !== null ? 'it announced' : 'this file can be'}`);
      }
      bytes.set(c, done);
      done += c.length;
      o.onProgress?.({ file, url, done, total });
    }
    if (total !== null && done !== total) throw new PassingError(`body cut off: ${done} of ${total} bytes`);
    return bytes.length === done ? bytes : bytes.slice(0, done);
  } finally {
    clearInterval(watchdog);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const why = cause instanceof Error ? cause.message : '';
  return why && why !== err.message ? `${err.message}: ${why}` : err.message;
}

/** Downloads and verifies one file, trying each mirror in turn. */
export async function downloadFile(
  dataset: Dataset, key: MnistFileKey, options: FetchOptions = {},
): Promise<NamedBytes & { mirror: string }> {
  const file = dataset.files[key];
  const mirrors = options.mirrors ?? dataset.mirrors;
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 500;
  const failures: string[] = [];
  for (const mirror of mirrors) {
    const url = new URL(`${file.name}.gz`, mirror.endsWith('/') ? mirror : `${mirror}/`).href;
    for (let attempt = 0; ; attempt++) {
      try {
        const raw = await get(url, file.name, options, bodyBudget(file.bytes));
        const bytes = await gunzipIfNeeded(raw, url, { maxBytes: file.bytes });
        await verifyFile(file, key, bytes, url);
        return { name: url, bytes, mirror };
      } catch (err) {
        if (options.signal?.aborted) throw err;
        const passing = err instanceof PassingError;
        if (passing && attempt < retries) {
          await sleep(backoffMs * 2 ** attempt, options.signal);
          continue;
        }
        const message = err instanceof Error ? err.message : String(err);
        const tries = attempt > 0 ? ` (after ${attempt + 1} tries)` : '';
        failures.push(message.startsWith(url) ? `${message}${tries}` : `${url}: ${message}${tries}`);
        break;
      }
    }
  }
  throw new DownloadError(
    `could not download ${dataset.title}'s ${file.name} from any of ${mirrors.length} mirror${mirrors.length === 1 ? '' : 's'}:\n` +
      failures.map((f) => `  - ${f}`).join('\n'),
  );
}

/** Downloads and verifies the given files of a dataset (default: all four). */
export async function downloadDataset(
  dataset: Dataset, options: FetchOptions = {}, keys: MnistFileKey[] = Object.keys(dataset.files) as MnistFileKey[],
): Promise<Partial<Record<MnistFileKey, NamedBytes>>> {
  const out: Partial<Record<MnistFileKey, NamedBytes>> = {};
  for (const key of keys) out[key] = await downloadFile(dataset, key, options);
  return out;
}
