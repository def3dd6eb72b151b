/**
 * A stand-in for the anywidget model: get/set/save_changes/on/off/send, with
 * `change:<name>` events fired synchronously on set, as Backbone does.
 */
import type { AnyModel } from "@anywidget/types";
import type { AttentionExplorerTraits } from "../src/attention/types";
import type { WireArray, WireDtype } from "../src/lib/types";

// biome-ignore lint/suspicious/noExplicitAny: the same handler type as AnyModel's EventHandler
type Handler = (...args: any[]) => void;
// biome-ignore lint/suspicious/noExplicitAny: the same constraint as AnyModel's ObjectHash
type ObjectHash = Record<string, any>;

/** Defaults to the attention explorer's traits; pass another trait interface for other views. */
export class FakeModel<T extends ObjectHash = AttentionExplorerTraits> implements AnyModel<T> {
  saveCount = 0;
  readonly sent: unknown[] = [];
  readonly widget_manager = {
    get_model: () => Promise.reject(new Error("no widget manager in tests")),
  };
  private readonly state: T;
  private readonly handlers = new Map<string, Set<Handler>>();

  constructor(state: T) {
    this.state = { ...state };
  }

  get<K extends keyof T>(key: K): T[K] {
    return this.state[key];
  }

  set<K extends keyof T>(key: K, value: T[K]): void {
    const old = this.state[key];
    this.state[key] = value;
    if (old !== value) this.emit(`change:${String(key)}`, value);
  }

  save_changes(): void {
    this.saveCount++;
  }

  on(event: string, handler: Handler): void {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)?.add(handler);
  }

  off(event?: string | null, handler?: Handler | null): void {
    if (!event) {
      this.handlers.clear();
    } else if (!handler) {
      this.handlers.delete(event);
    } else {
      this.handlers.get(event)?.delete(handler);
    }
  }

  send(content: unknown): void {
    this.sent.push(content);
  }

  emit(event: string, ...args: unknown[]): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) handler(...args);
  }

  /**
   * Answer as Python does: `_status` for request `request` (default: the latest `_request`).
   * Set outside any view, so the change arrives as from the kernel.
   */
  reply(state = "done", extra: { request?: number; label?: string; fraction?: number | null } = {}): void {
    const request = extra.request ?? Number(this.state._request ?? 0);
    const status = { request, state, label: extra.label ?? "", fraction: extra.fraction ?? null };
    this.set("_status" as keyof T, status as T[keyof T]);
  }

  /** Number of handlers still registered (to check cleanup). */
  listenerCount(): number {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }
}

/** Wrap a typed array as a wire array, optionally inside a larger buffer at `offset` bytes. */
export function wire(dtype: WireDtype, shape: number[], array: ArrayBufferView, offset = 0): WireArray {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const buffer = new ArrayBuffer(offset + bytes.byteLength + 3);
  new Uint8Array(buffer, offset, bytes.byteLength).set(bytes);
  return { dtype, shape, data: new DataView(buffer, offset, bytes.byteLength) };
}

/** float16 bits of small exact values used in tests: 0, 0.25, 0.5, 0.75, 1. */
export const HALF: Record<number, number> = { 0: 0x0000, 0.25: 0x3400, 0.5: 0x3800, 0.75: 0x3a00, 1: 0x3c00 };

/** float16 bits of `x`, rounded to nearest (finite values; overflow becomes ±Infinity). */
export function toHalf(x: number): number {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    return sign | ((((mantissa | 0x800000) >> (1 - exponent)) + 0x1000) >> 13);
  }
  return sign | ((exponent << 10) + ((mantissa + 0x1000) >> 13));
}

/** Let queued microtasks (the view's batched sync) run. */
export async function flush(): Promise<void> {
  await Promise.resolve();
  await Promise.resolve();
}
