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

/** Decompresses gzip bytes (as `gunzip` would), or returns raw bytes unchanged. */
export async function gunzipIfNeeded(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new DataFileError(`${name}: not a valid gzip file (${why}); download it again`);
  }
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
