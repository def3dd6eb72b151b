/**
 * Helpers for the boundary between synced traits (snake_case, untrusted shapes) and view data
 * (camelCase, checked). Each view's readers live beside it (`src/<view>/traits.ts`) and are
 * built from these. A reader returns the value (or `null`, or for a few readers the part that
 * is well formed) plus a problem to show in the error banner, and never throws.
 */
import type { TopToken } from "./types";
import { type Decoded, fromWire, isWireArray } from "./wire";

export interface Parsed<T> {
  value: T | null;
  /** Empty when the trait is fine or simply not computed yet. */
  problem: string;
}

export const ok = <T>(value: T): Parsed<T> => ({ value, problem: "" });
/** Not computed yet: nothing to show, nothing wrong. */
export const none = <T>(): Parsed<T> => ({ value: null, problem: "" });
export const bad = <T>(problem: string): Parsed<T> => ({ value: null, problem });

/** `{}` (or nothing) means "not computed yet", which is not a problem. */
export function isEmpty(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    (typeof value === "object" && Object.keys(value as object).length === 0)
  );
}

export function shapeText(shape: number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Decode the wire array `value` (`name` for messages). */
export function decode(name: string, value: unknown): Parsed<Decoded> {
  if (!isWireArray(value)) return bad(`${name} is not a wire array`);
  try {
    return ok(fromWire(value));
  } catch (err) {
    return bad(`${name}: ${(err as Error).message}`);
  }
}

/** An integer trait, or `fallback` for anything else (missing, NaN, fractional). */
export function int(value: unknown, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) ? n : fallback;
}

/** A list of strings (`_tokens`, `_modes`, …); anything else reads as empty. */
export function readStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.map((t) => String(t)) : [];
}

/** A list of integers (`_layers`); other entries are dropped. */
export function readInts(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => Number.isInteger(v)) : [];
}

/** An integer field of a trait dict, or NaN. */
export function intField(d: Record<string, unknown>, key: string): number {
  const v = Number(d[key]);
  return Number.isInteger(v) ? v : Number.NaN;
}

/** A number field of a trait dict, or null when absent or not a number. */
export function numberField(d: Record<string, unknown>, key: string): number | null {
  return typeof d[key] === "number" ? (d[key] as number) : null;
}

/** A trait dict; `{}` (or nothing) reads as not computed yet. */
export function asDict(name: string, value: unknown): Parsed<Record<string, unknown>> {
  if (isEmpty(value)) return none();
  if (typeof value !== "object" || value === null) return bad(`${name} is not an object`);
  return ok(value as Record<string, unknown>);
}

/** The largest finite value of `data` (0 when all ≤ 0): the top of a colour scale. */
export function finiteMax(data: Float32Array): number {
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v > max && v !== Number.POSITIVE_INFINITY) max = v;
  }
  return max;
}

export type FieldType = "integer" | "number" | "string" | "boolean";

/** What is wrong with the first field of `d` that is not of its type in `fields`, or "". */
export function wrongField(d: Record<string, unknown>, fields: Record<string, FieldType>): string {
  for (const [key, type] of Object.entries(fields)) {
    const v = d[key];
    if (type === "integer" ? !Number.isInteger(v) : typeof v !== type) {
      return `${key} must be ${type === "integer" ? "an integer" : `a ${type}`}`;
    }
  }
  return "";
}

/**
 * A list of dicts, each read by `read` (which returns the entry or what is wrong with it).
 * Returns the well-formed entries and a problem counting the others and naming the first.
 */
export function readEntries<T extends object>(
  name: string,
  value: unknown,
  read: (d: Record<string, unknown>) => T | string,
): Parsed<T[]> {
  if (value === null || value === undefined) return ok([]);
  if (!Array.isArray(value)) return bad(`${name} is not a list`);
  const out: T[] = [];
  let dropped = 0;
  let first = "";
  value.forEach((entry, i) => {
    const result =
      typeof entry === "object" && entry !== null && !Array.isArray(entry)
        ? read(entry as Record<string, unknown>)
        : "not an object";
    if (typeof result !== "string") out.push(result);
    else if (dropped++ === 0) first = `entry ${i}: ${result}`;
  });
  const problem =
    dropped > 0 ? `${name}: ${dropped} of ${value.length} entries are malformed (${first})` : "";
  return { value: out, problem };
}

/** `[[token, prob], …]` as a list, or null if any entry is not a `[string, number]` pair. */
export function readTopTokens(value: unknown): TopToken[] | null {
  if (!Array.isArray(value)) return null;
  const out: TopToken[] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 2) return null;
    const [token, prob] = entry;
    if (typeof token !== "string" || typeof prob !== "number") return null;
    out.push({ token, prob });
  }
  return out;
}

/** `v` clamped to the indices 0..n-1 (0 when n ≤ 0): where arrow keys may move a selection. */
export function clampIndex(v: number, n: number): number {
  return Math.min(Math.max(v, 0), Math.max(n - 1, 0));
}
