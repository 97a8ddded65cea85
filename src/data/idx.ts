// data/idx.ts: the IDX file format of MNIST (LeCun's "idx3-ubyte" files).
// Bytes in, typed arrays out; checks the magic number, the dimensions and the
// byte length, and names the file in every error. `.gz` input is decompressed
// transparently with the web platform's DecompressionStream. No file access:
// the caller reads the bytes (from disk, fetch, or anywhere).

/** A problem with a data file: the message says which file and what is wrong. */
export class DataFileError extends Error {
  override name = 'DataFileError';
}

/** The magic number of an unsigned-byte IDX file with d dimensions is 0x0800 + d. */
export const IDX_IMAGES_MAGIC = 2051; // 0x00000803: ubyte, 3 dimensions (count, rows, cols)
export const IDX_LABELS_MAGIC = 2049; // 0x00000801: ubyte, 1 dimension (count)

export interface IdxImages {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** count × rows × cols bytes, image by image, row by row. */
  readonly pixels: Uint8Array;
}

export interface IdxLabels {
  readonly count: number;
  readonly labels: Uint8Array;
}

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The largest IDX file read or decompressed (MNIST's largest is 47 MB; EMNIST's ~190 MB). */
export const MAX_IDX_BYTES = 256 * 1024 * 1024;

/** The whole length an IDX file's first bytes declare (header + body), or null when they are not an IDX header. */
export function idxDeclaredLength(head: Uint8Array): number | null {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || head[2] !== 8) return null; // unsigned-byte IDX only
  const dims = head[3];
  if (dims < 1 || dims > 4 || head.length < 4 + 4 * dims) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let n = 1;
  for (let d = 0; d < dims; d++) n *= view.getUint32(4 + 4 * d);
  return 4 + 4 * dims + n;
}

export interface GunzipLimits {
  /** Stop with an error at the first decompressed byte past this (default MAX_IDX_BYTES). */
  maxBytes?: number;
  /**
   * Check the IDX header as soon as it is decompressed: not an IDX file, or one
   * that declares more than maxBytes, stops there; so does the first byte past
   * what the header declares. Default true.
   */
  idx?: boolean;
}

/**
 * Decompresses gzip bytes (as `gunzip` would), or returns raw bytes unchanged.
 * Streams with a budget, so a small file that would expand to gigabytes (a
 * "gzip bomb") is stopped after at most maxBytes, and a file that is not IDX
 * after its first bytes.
 */
export async function gunzipIfNeeded(bytes: Uint8Array, name: string, limits: GunzipLimits = {}): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const maxBytes = limits.maxBytes ?? MAX_IDX_BYTES;
  const idx = limits.idx ?? true;
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  let out = new Uint8Array(Math.min(maxBytes, Math.max(1024, bytes.length * 4)));
  let length = 0;
  let limit = maxBytes; // becomes the declared length once the header is in
  let declared: number | null = null;
  let headerChecked = !idx;
  const stop = async (why: string): Promise<never> => {
    await reader.cancel().catch(() => {});
    throw new DataFileError(`${name}: ${why}`);
  };
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new DataFileError(`${name}: not a valid gzip file (${why}); download it again`);
    }
    if (chunk.done) break;
    const c = chunk.value;
    if (!headerChecked && length + c.length >= 16) {
      // the header, from what came before and this chunk: checked before any budget
      headerChecked = true;
      const head = new Uint8Array(Math.min(20, length + c.length));
      head.set(out.subarray(0, Math.min(length, head.length)));
      if (length < head.length) head.set(c.subarray(0, head.length - length), length);
      declared = idxDeclaredLength(head);
      if (declared === null) {
        const magic = new DataView(head.buffer).getUint32(0);
        await stop(`decompresses to something that is not an IDX file (magic number ${magic}); is this the right file?`);
      } else if (declared > maxBytes) {
        await stop(`its IDX header declares ${declared} bytes, more than the ${maxBytes} expected; it is corrupt or not the right file`);
      } else {
        limit = declared;
        if (out.length < declared) {
          const exact = new Uint8Array(declared); // one allocation of the right size from here on
          exact.set(out.subarray(0, length));
          out = exact;
        }
      }
    }
    if (length + c.length > limit) {
      await stop(declared !== null
        ? `decompresses to more bytes than its IDX header declares (${limit}); the file is corrupt: download it again`
        : `decompresses to more than ${maxBytes} bytes, more than this file can be; it is corrupt or not the right file`);
    }
    if (length + c.length > out.length) {
      const grown = new Uint8Array(Math.min(limit, Math.max(out.length * 2, length + c.length)));
      grown.set(out.subarray(0, length));
      out = grown;
    }
    out.set(c, length);
    length += c.length;
  }
  return out.length === length ? out : out.slice(0, length);
}

function header(bytes: Uint8Array, name: string, dims: number, expectedMagic: number, kind: string): number[] {
  const headerBytes = 4 + 4 * dims;
  const tooShort = () =>
    new DataFileError(
      `${name}: only ${bytes.length} bytes, too short for an IDX ${kind} header (${headerBytes} bytes); the file is truncated or not an IDX file`,
    );
  if (bytes.length < 4) throw tooShort();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0); // IDX is big-endian
  if (magic !== expectedMagic) {
    const known =
      magic === IDX_IMAGES_MAGIC ? ' (an image file)' : magic === IDX_LABELS_MAGIC ? ' (a label file)' : '';
    throw new DataFileError(
      `${name}: magic number is ${magic}${known}, expected ${expectedMagic} for IDX ${kind}; is this the right file?`,
    );
  }
  if (bytes.length < headerBytes) throw tooShort();
  const out: number[] = [];
  for (let d = 0; d < dims; d++) out.push(view.getUint32(4 + 4 * d));
  return out;
}

function checkLength(bytes: Uint8Array, name: string, headerBytes: number, body: number, what: string): void {
  const have = bytes.length - headerBytes;
  if (have < body) {
    throw new DataFileError(
      `${name}: truncated: the header promises ${what} = ${body} bytes but only ${have} follow; download the file again`,
    );
  }
  if (have > body) {
    throw new DataFileError(`${name}: ${have - body} bytes more than the header's ${what} = ${body}; the file is corrupt`);
  }
}

/** Parses an IDX image file (magic 2051). The pixels are a view into `bytes`. */
export function parseIdxImages(bytes: Uint8Array, name = 'images'): IdxImages {
  const [count, rows, cols] = header(bytes, name, 3, IDX_IMAGES_MAGIC, 'images');
  if (rows === 0 || cols === 0) throw new DataFileError(`${name}: images of ${rows}×${cols} pixels; the file is corrupt`);
  checkLength(bytes, name, 16, count * rows * cols, `${count} images × ${rows}×${cols} pixels`);
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/** Parses an IDX label file (magic 2049). The labels are a view into `bytes`. */
export function parseIdxLabels(bytes: Uint8Array, name = 'labels'): IdxLabels {
  const [count] = header(bytes, name, 1, IDX_LABELS_MAGIC, 'labels');
  checkLength(bytes, name, 8, count, `${count} labels`);
  return { count, labels: bytes.subarray(8) };
}
