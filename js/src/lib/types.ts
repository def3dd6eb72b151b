/**
 * Wire and view types shared by more than one view. Each view's own trait interface and wire
 * types live beside it (`src/<view>/types.ts`); trait names stay snake_case there because they
 * are the wire names, and everything derived from them is camelCase.
 */

/** Element types a wire array may carry. float16 is widened to float32 when decoded. */
export type WireDtype = "uint8" | "float16" | "float32" | "int32";

/**
 * An n-dimensional array as Python sends it: C-order, little-endian bytes nested in a
 * dict. ipywidgets delivers the bytes as a `DataView` (possibly a window into a larger
 * buffer, so `byteOffset`/`byteLength` matter).
 */
export interface WireArray {
  dtype: WireDtype;
  shape: number[];
  data: DataView;
}

/** A trait that holds a wire array once computed, `{}` before. */
export type MaybeWire = WireArray | Record<string, never>;

/** Which line of a pattern a highlighted token lights: its query row or its key column. */
export type Axis = "query" | "key";

/** One entry of `_head_roles`: a named behaviour detected for one head (components/head_grid.ts). */
export interface HeadRole {
  layer: number;
  head: number;
  role: string;
  score: number;
}

/**
 * Thumbnails after decoding: `layers × heads` images of `height × width` pixels
 * (square `t × t` for the attention explorer, `1 × t` strips for the generation tracer).
 */
export interface Thumbnails {
  nLayers: number;
  nHeads: number;
  height: number;
  width: number;
  /** `[layers, heads, height, width]`, 0..255. */
  data: Uint8Array;
}

/** Per-head statistics after decoding (components/head_grid.ts). */
export interface HeadStats {
  names: string[];
  /** `[layers, heads, k]`. */
  values: Float32Array;
  k: number;
}

/** One of the top next tokens with its probability (patching cell, failure runs). */
export interface TopToken {
  token: string;
  prob: number;
}
