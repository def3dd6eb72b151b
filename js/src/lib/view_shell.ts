/**
 * The one view shell every view is built on. It owns what the views have in common:
 *
 * - the root element (`.ilw-view` plus the view's class; keys pressed inside stay away from
 *   JupyterLab's notebook shortcuts) and its lifecycle: one `AbortController` whose `signal` the
 *   view hands to every listener it adds, and `destroy`;
 * - model → view sync (lib/trait_sync.ts) of the view's traits plus the shell's own;
 * - requests: every view → kernel change goes through `request` (or `send` for a custom message),
 *   which gives it an id in `_request` in the same `save_changes` as the change itself;
 * - the busy indicator (`.ilw-busy`: label, `.ilw-progress`, `.ilw-cancel`), shown in the same tick
 *   as a request and until `_status` answers it, and the error banner (`.ilw-error`), which shows
 *   `_error` plus the problems the view found itself, by source.
 *
 * Protocol (the Python side implements the same): `_request` is the id of the latest request;
 * the view sends `max(its own last id, _request) + 1`, Python bumps it for changes made from
 * Python. `_status` is `{request, state: running|done|error|cancelled, label, fraction}` for
 * Python's latest request, `fraction` in 0..1 or null when the work has no measured steps.
 * Cancel is the custom message `{type: "cancel"}`.
 *
 * Theme: what the view paints itself (canvases, inline colours) registers with `onTheme` and is
 * repainted when the page's theme changes (lib/theme.ts) and once the root is first in the page,
 * since colours cannot be read before (JupyterLab attaches the output after `render`).
 */
import type { AnyModel, RenderProps } from "@anywidget/types";
import { h } from "./dom";
import { onThemeChange } from "./theme";
import { syncTraits } from "./trait_sync";
import { asDict, int, intField } from "./traits";

export type RequestState = "running" | "done" | "error" | "cancelled";

/** `_status` as Python sends it. */
export interface StatusWire {
  /** The request this status is about. */
  request: number;
  state: RequestState;
  /** What runs, in words (e.g. "UMAP layer 6"). */
  label: string;
  /** Measured progress in 0..1, or null when the work has no measured steps. */
  fraction: number | null;
}

/** The synced traits every view has; each view's trait interface extends this. */
export interface ShellTraits {
  /** Id of the latest request (0 before any). */
  _request: number;
  /** Where Python's latest request stands, or `{}`. */
  _status: StatusWire | Record<string, never>;
  /** Error banner text from Python, "" when none. */
  _error: string;
}

const SHELL_TRAITS = ["_request", "_status", "_error"] as const;

/** The decoded `_status`. */
export type Status = StatusWire;

const STATES: readonly RequestState[] = ["running", "done", "error", "cancelled"];

/** Missing or `{}`: nothing asked yet, nothing running. */
const IDLE: Status = { request: 0, state: "done", label: "", fraction: null };

/**
 * `_status`, never failing: a missing or empty status reads as idle at request 0, a malformed
 * field falls back to its idle value and is named in `problem`.
 */
export function readStatus(value: unknown): { status: Status; problem: string } {
  const dict = asDict("_status", value);
  if (dict.value === null) return { status: IDLE, problem: dict.problem };
  const d = dict.value;
  const problems: string[] = [];
  const request = d.request === undefined ? 0 : intField(d, "request");
  if (Number.isNaN(request)) problems.push("_status.request must be an integer");
  const state = STATES.find((s) => s === d.state);
  if (state === undefined) problems.push(`_status.state must be one of ${STATES.join(", ")}`);
  const f = d.fraction;
  const fractionOk = f === null || f === undefined || (typeof f === "number" && f >= 0 && f <= 1);
  if (!fractionOk) problems.push("_status.fraction must be a number in 0..1, or null");
  return {
    status: {
      request: Number.isNaN(request) ? 0 : request,
      state: state ?? "done",
      label: typeof d.label === "string" ? d.label : "",
      fraction: fractionOk && typeof f === "number" ? f : null,
    },
    problem: problems.join("\n"),
  };
}

/** The view's header: the shell puts the busy indicator in its `bar` and the error banner in `el`. */
export interface ShellHeader {
  readonly el: HTMLElement;
  readonly bar: HTMLElement;
}

/** What the view draws, in order: header, then (optional) help panel, then the body. */
export interface ShellLayout {
  header: ShellHeader;
  /** components/help_panel.ts: `toggle` goes at the end of the header bar, `el` under the header. */
  help?: { readonly toggle: HTMLElement; readonly el: HTMLElement };
  body: HTMLElement[];
}

export interface ViewShellOptions {
  /** Names the view in console errors: `interplab_widgets <name>: …`. */
  name: string;
  /** The view's root class, e.g. `ilw-patching-explorer`. */
  className: string;
}

export class ViewShell<T extends ShellTraits> {
  readonly root: HTMLDivElement;
  /** Aborted by `destroy`: pass it to every listener the view adds. */
  readonly signal: AbortSignal;
  /** Problems the view found itself (bad shapes), by source; shown under `_error`. */
  readonly problems = new Map<string, string>();

  private readonly controller = new AbortController();
  private readonly busyEl: HTMLSpanElement;
  private readonly labelEl: HTMLSpanElement;
  private readonly progressEl: HTMLProgressElement;
  private readonly cancelButton: HTMLButtonElement;
  private readonly errorEl: HTMLDivElement;
  private stopSync: (() => void) | null = null;
  /** The id of this view's own last request. */
  private sent = 0;
  private cancelling = false;
  private readonly repaints: Array<() => void> = [];

  constructor(
    private readonly model: AnyModel<T>,
    private readonly options: ViewShellOptions,
  ) {
    this.signal = this.controller.signal;
    this.root = h("div", {
      className: `${options.className} ilw-view`,
      // Keep JupyterLab's notebook shortcuts (arrows, Escape, a/b/d…) away from keys pressed in here.
      // tabindex -1: a click anywhere inside focuses the view, so Escape reaches it.
      attrs: { "data-lm-suppress-shortcuts": "true", tabindex: "-1" },
    });
    this.labelEl = h("span", { className: "ilw-busy-label" });
    this.progressEl = h("progress", { className: "ilw-progress", attrs: { max: "1", "data-fraction": "" } });
    this.cancelButton = h("button", {
      className: "ilw-cancel",
      text: "cancel",
      attrs: { type: "button", title: "Stop this computation", hidden: "" },
    });
    this.cancelButton.addEventListener("click", () => this.cancel(), { signal: this.signal });
    this.busyEl = h("span", { className: "ilw-busy", attrs: { role: "status", hidden: "" } }, [
      this.labelEl,
      this.progressEl,
      this.cancelButton,
    ]);
    this.errorEl = h("div", { className: "ilw-error", attrs: { role: "alert", hidden: "" } });
  }

  /**
   * Put the view's elements in the root, the root in `el`, and start syncing: `apply` gets the
   * changed traits together (all of them right away), the shell's own included.
   */
  mount(
    el: HTMLElement,
    layout: ShellLayout,
    traits: readonly (keyof T & string)[],
    apply: (changed: Set<keyof T & string>) => void,
  ): void {
    const { header, help, body } = layout;
    header.bar.append(this.busyEl);
    if (help) header.bar.append(help.toggle);
    header.el.append(this.errorEl);
    this.root.replaceChildren(header.el, ...(help ? [help.el] : []), ...body);
    el.appendChild(this.root);

    const all = [...new Set<keyof T & string>([...SHELL_TRAITS, ...traits])];
    this.stopSync = syncTraits(this.model, all, {
      name: this.options.name,
      apply: (changed) => {
        this.problems.delete("view");
        if (changed.has("_status"))
          this.problems.set("status", readStatus(this.model.get("_status")).problem);
        this.refresh();
        apply(changed);
        this.showErrors();
      },
      onError: (err) => {
        this.problems.set("view", `view error: ${err.message}`);
        this.showErrors();
      },
    });
  }

  /**
   * Call `repaint` on every theme change and once when the root first reaches the page, until
   * `destroy`. `repaint` reads the colours itself (lib/theme.ts `paletteOf`).
   */
  onTheme(repaint: () => void): void {
    if (this.repaints.length === 0) this.repaintWhenConnected();
    this.repaints.push(repaint);
    onThemeChange(repaint, this.signal);
  }

  /** Show `message` (plain text) in the error banner under `source`; "" clears it. */
  report(source: string, message: string): void {
    this.problems.set(source, message);
    this.showErrors();
  }

  /** Repaint once the root is laid out in the page (a ResizeObserver's first report), then stop watching. */
  private repaintWhenConnected(): void {
    if (typeof ResizeObserver !== "function") return;
    const observer = new ResizeObserver(() => {
      if (!this.root.isConnected) return;
      observer.disconnect();
      for (const repaint of this.repaints) repaint();
    });
    observer.observe(this.root);
    this.signal.addEventListener("abort", () => observer.disconnect());
  }

  destroy(): void {
    this.stopSync?.();
    this.controller.abort();
    this.root.remove();
  }

  // -- requests -----------------------------------------------------------------------

  /** The latest request id known here: this view's own, another view's or Python's. */
  get latestRequest(): number {
    return Math.max(this.sent, int(this.model.get("_request"), 0));
  }

  /** `_status` as it stands now (idle at request 0 when missing or malformed). */
  get status(): Status {
    return readStatus(this.model.get("_status")).status;
  }

  /**
   * Set `changes` and a new `_request` id in one `save_changes`, and show busy at once.
   * Returns the id, or null when every value is already the model's (nothing is sent).
   */
  request(changes: Partial<T>): number | null {
    const m = this.model;
    const entries = Object.entries(changes) as Array<[keyof T & string, T[keyof T & string]]>;
    if (entries.every(([key, value]) => m.get(key) === value)) return null;
    const id = this.nextId();
    for (const [key, value] of entries) m.set(key, value);
    return this.commit(id);
  }

  /** A request made as a custom message: bump `_request`, then send `{...content, request: id}`. */
  send(content: { type: string } & Record<string, unknown>): number {
    const id = this.commit(this.nextId());
    this.model.send({ ...content, request: id });
    return id;
  }

  /** Write traits that are view state only (never answered by Python): no request id, no busy. */
  save(changes: Partial<T>): void {
    const m = this.model;
    const entries = Object.entries(changes) as Array<[keyof T & string, T[keyof T & string]]>;
    if (entries.every(([key, value]) => m.get(key) === value)) return;
    for (const [key, value] of entries) m.set(key, value);
    m.save_changes();
  }

  /** Ask Python to stop: it restores the selection of its last answer and sets `_status` cancelled. */
  cancel(): void {
    if (!this.busy) return;
    this.model.send({ type: "cancel" });
    this.cancelling = true;
    this.refresh();
  }

  /** True while a request is unanswered or Python reports work running. */
  get busy(): boolean {
    return !this.isCurrent();
  }

  /**
   * True when the payload traits are the answer to the latest request: `_status` is about it
   * (or a later one) and nothing runs. A reply to an older request is not current.
   */
  isCurrent(): boolean {
    const s = this.status;
    return s.request >= this.latestRequest && s.state !== "running";
  }

  /** True once Python has answered request `id` (or a later one that superseded it). */
  replied(id: number): boolean {
    const s = this.status;
    return s.request >= id && s.state !== "running";
  }

  private nextId(): number {
    return this.latestRequest + 1;
  }

  private commit(id: number): number {
    this.sent = id;
    this.cancelling = false;
    (this.model as unknown as AnyModel<ShellTraits>).set("_request", id);
    this.model.save_changes();
    this.refresh();
    return id;
  }

  // -- banner -------------------------------------------------------------------------

  /** Show busy, its label and progress from the current `_status` and the latest request id. */
  private refresh(): void {
    const s = this.status;
    const latest = this.latestRequest;
    const pending = latest > s.request;
    const busy = pending || s.state === "running";
    if (!busy) this.cancelling = false;
    this.root.classList.toggle("ilw-is-busy", busy);
    this.busyEl.hidden = !busy;
    this.cancelButton.hidden = !busy;
    this.cancelButton.disabled = this.cancelling;
    // Label and fraction describe the latest request only; older work still running is not it.
    const own = !pending && s.state === "running";
    this.busyEl.dataset.request = String(latest);
    this.labelEl.textContent = this.cancelling
      ? "cancelling…"
      : own && s.label !== ""
        ? s.label
        : "computing…";
    const fraction = own ? s.fraction : null;
    if (fraction === null) this.progressEl.removeAttribute("value");
    else this.progressEl.value = fraction;
    this.progressEl.dataset.fraction = fraction === null ? "" : String(fraction);
  }

  private showErrors(): void {
    const messages = [String(this.model.get("_error") ?? ""), ...this.problems.values()];
    const text = messages.filter((s) => s !== "").join("\n");
    this.errorEl.textContent = text;
    this.errorEl.hidden = text === "";
  }
}

/** `has(...traits)`: true if any of `traits` is in `changed` (the set `apply` gets). */
export function changedAny<Trait>(changed: Set<Trait>): (...traits: Trait[]) => boolean {
  return (...traits) => traits.some((t) => changed.has(t));
}

/**
 * The anywidget module of a view: `render` builds it with `create` and returns its cleanup.
 * All state lives in synced traits, so `initialize` has nothing to set up per model.
 */
export function viewModule<T extends ShellTraits>(
  create: (model: AnyModel<T>, el: HTMLElement) => { destroy(): void },
) {
  return {
    initialize(): void {},
    render({ model, el }: RenderProps<T>): () => void {
      const view = create(model, el);
      return () => view.destroy();
    },
  };
}
