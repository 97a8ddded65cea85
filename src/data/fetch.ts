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
  /** Give up on a request when no bytes arrived for this long (default 30 s). */
  timeoutMs?: number;
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

/** One GET of `url`, streamed, with an idle timeout. */
async function get(url: string, file: string, o: FetchOptions): Promise<Uint8Array> {
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const controller = new AbortController();
  const onAbort = () => controller.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  let timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const idle = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
  };
  try {
    let res: Response;
    try {
      res = await doFetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (err) {
      if (o.signal?.aborted) throw err;
      throw new PassingError(timedOut ? `no answer within ${timeoutMs / 1000} s` : `request failed (${describe(err)})`);
    }
    if (!res.ok || !res.body) {
      const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
      await res.body?.cancel().catch(() => {});
      if (res.status >= 500 || res.status === 429) throw new PassingError(status);
      throw new Error(status);
    }
    const lengthHeader = res.headers.get('content-length');
    const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    const chunks: Uint8Array[] = [];
    let done = 0;
    const reader = res.body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (o.signal?.aborted) throw err;
        throw new PassingError(
          timedOut
            ? `no data for ${timeoutMs / 1000} s after ${done} bytes (timed out)`
            : `connection broke after ${done}${total !== null ? ` of ${total}` : ''} bytes (${describe(err)})`,
        );
      }
      if (chunk.done) break;
      idle();
      chunks.push(chunk.value);
      done += chunk.value.length;
      o.onProgress?.({ file, url, done, total });
    }
    if (total !== null && done !== total) throw new PassingError(`body cut off: ${done} of ${total} bytes`);
    const bytes = new Uint8Array(done);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return bytes;
  } finally {
    clearTimeout(timer);
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
        const raw = await get(url, file.name, options);
        const bytes = await gunzipIfNeeded(raw, url);
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
