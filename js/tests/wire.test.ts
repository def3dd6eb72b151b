import { describe, expect, it } from "vitest";
import type { WireArray } from "../src/lib/types";
import { fromWire, halfToFloat, isWireArray, WireError } from "../src/lib/wire";
import { wire } from "./fake_model";

describe("halfToFloat", () => {
  it.each([
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504], // largest normal
    [0x0400, 2 ** -14], // smallest normal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x8001, -(2 ** -24)],
    [0x7c00, Number.POSITIVE_INFINITY],
    [0xfc00, Number.NEGATIVE_INFINITY],
  ])("decodes 0x%s", (bits, expected) => {
    expect(halfToFloat(bits)).toBe(expected);
  });

  it("keeps negative zero and NaN", () => {
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(halfToFloat(0x7c01)).toBeNaN();
  });
});

describe("fromWire", () => {
  it("decodes uint8", () => {
    const out = fromWire(wire("uint8", [2, 3], new Uint8Array([0, 1, 2, 253, 254, 255])));
    expect(out.shape).toEqual([2, 3]);
    expect(out.data).toBeInstanceOf(Uint8Array);
    expect([...out.data]).toEqual([0, 1, 2, 253, 254, 255]);
  });

  it("decodes float32 and int32", () => {
    const f = fromWire(wire("float32", [3], new Float32Array([0.5, -1.25, 3e38])));
    expect(f.data).toBeInstanceOf(Float32Array);
    expect([...f.data]).toEqual([0.5, -1.25, Math.fround(3e38)]);
    const i = fromWire(wire("int32", [2], new Int32Array([-7, 2 ** 31 - 1])));
    expect(i.data).toBeInstanceOf(Int32Array);
    expect([...i.data]).toEqual([-7, 2 ** 31 - 1]);
  });

  it("decodes float16 including subnormals and infinities", () => {
    const bits = new Uint16Array([0x3c00, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0xb800]);
    const out = fromWire(wire("float16", [2, 3], bits));
    expect(out.data).toBeInstanceOf(Float32Array);
    expect([...out.data]).toEqual([
      1,
      Math.fround(2 ** -24),
      Math.fround(1023 * 2 ** -24),
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0.5,
    ]);
  });

  it.each([1, 3, 8])("respects the DataView's byteOffset (%i) and byteLength", (offset) => {
    // The wire helper puts the bytes at `offset` inside a larger buffer with trailing garbage.
    const f32 = fromWire(wire("float32", [2], new Float32Array([1.5, -2]), offset));
    expect([...f32.data]).toEqual([1.5, -2]);
    const f16 = fromWire(wire("float16", [2], new Uint16Array([0x3c00, 0x0001]), offset));
    expect([...f16.data]).toEqual([1, Math.fround(2 ** -24)]);
    const i32 = fromWire(wire("int32", [1], new Int32Array([-3]), offset));
    expect([...i32.data]).toEqual([-3]);
    const u8 = fromWire(wire("uint8", [2], new Uint8Array([9, 8]), offset));
    expect([...u8.data]).toEqual([9, 8]);
  });

  it("reads little-endian bytes", () => {
    const data = new DataView(new Uint8Array([0x00, 0x3c, 0x01, 0x00, 0x00, 0x00]).buffer);
    expect([
      ...fromWire({ dtype: "float16", shape: [1], data: new DataView(data.buffer, 0, 2) }).data,
    ]).toEqual([1]);
    expect([...fromWire({ dtype: "int32", shape: [1], data: new DataView(data.buffer, 2, 4) }).data]).toEqual(
      [1],
    );
  });

  it("rejects a byte length that disagrees with the shape", () => {
    const bad = wire("float32", [3], new Float32Array([1, 2]));
    expect(() => fromWire(bad)).toThrow(WireError);
    expect(() => fromWire(bad)).toThrow(/needs 12 bytes, got 8/);
  });

  it("rejects malformed objects", () => {
    expect(isWireArray({})).toBe(false);
    expect(isWireArray({ dtype: "float64", shape: [1], data: new DataView(new ArrayBuffer(8)) })).toBe(false);
    expect(isWireArray({ dtype: "uint8", shape: [-1], data: new DataView(new ArrayBuffer(1)) })).toBe(false);
    expect(() => fromWire({} as WireArray)).toThrow(WireError);
  });
});
