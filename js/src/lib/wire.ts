/**
 * Decoding of wire arrays (`{dtype, shape, data}`) into typed arrays.
 *
 * Data is little-endian. Where the host is little-endian and the offset is aligned,
 * float32/int32/uint8 come back as zero-copy views of the received buffer.
 */
import type { WireArray, WireDtype } from "./types";

export type DecodedData = Uint8Array | Float32Array | Int32Array;

export interface Decoded {
  shape: number[];
  data: DecodedData;
}

const ITEM_SIZE: Record<WireDtype, number> = { uint8: 1, float16: 2, float32: 4, int32: 4 };

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Raised for a value that is not a well-formed wire array. */
export class WireError extends Error {
  override name = "WireError";
}

/** True for `{dtype, shape, data}` with a known dtype, an integer shape and binary data. */
export function isWireArray(value: unknown): value is WireArray {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.dtype === "string" &&
    v.dtype in ITEM_SIZE &&
    Array.isArray(v.shape) &&
    v.shape.every((d) => Number.isInteger(d) && d >= 0) &&
    (ArrayBuffer.isView(v.data) || v.data instanceof ArrayBuffer)
  );
}

/** Decode a wire array; float16 is widened to Float32Array. Throws `WireError` if malformed. */
export function fromWire(obj: WireArray): Decoded {
  if (!isWireArray(obj)) throw new WireError("not a wire array ({dtype, shape, data})");
  const shape = [...obj.shape];
  const count = shape.reduce((a, b) => a * b, 1);
  const raw: ArrayBufferView | ArrayBuffer = obj.data;
  const bytes = ArrayBuffer.isView(raw)
    ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
    : new Uint8Array(raw);
  const expected = count * ITEM_SIZE[obj.dtype];
  if (bytes.byteLength !== expected) {
    throw new WireError(
      `${obj.dtype} array of shape [${shape.join(", ")}] needs ${expected} bytes, got ${bytes.byteLength}`,
    );
  }
  switch (obj.dtype) {
    case "uint8":
      return { shape, data: bytes };
    case "float16":
      return { shape, data: decodeFloat16(bytes, count) };
    case "float32":
      return { shape, data: decodeFloat32(bytes, count) };
    case "int32":
      return { shape, data: decodeInt32(bytes, count) };
  }
}

function decodeFloat32(bytes: Uint8Array, count: number): Float32Array {
  if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

function decodeInt32(bytes: Uint8Array, count: number): Int32Array {
  if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    return new Int32Array(bytes.buffer, bytes.byteOffset, count);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
  return out;
}

function decodeFloat16(bytes: Uint8Array, count: number): Float32Array {
  const table = halfTable();
  const out = new Float32Array(count);
  if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    for (let i = 0; i < count; i++) out[i] = table[halves[i] as number] as number;
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) out[i] = table[view.getUint16(2 * i, true)] as number;
  }
  return out;
}

/** IEEE 754 binary16 bits → number, including subnormals, ±0, ±Infinity and NaN. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

let HALF_TABLE: Float32Array | null = null;

/** All 65536 half values, built on first use (256 KiB): decoding is then one lookup. */
function halfTable(): Float32Array {
  if (HALF_TABLE === null) {
    HALF_TABLE = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) HALF_TABLE[bits] = halfToFloat(bits);
  }
  return HALF_TABLE;
}
