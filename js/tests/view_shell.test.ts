import { afterEach, describe, expect, it, vi } from "vitest";
import { h } from "../src/lib/dom";
import { readStatus, type ShellTraits, ViewShell } from "../src/lib/view_shell";
import { mountFailure } from "./failure_fixture";
import { FakeModel, flush } from "./fake_model";
import { mount } from "./mount";
import { mountPatching } from "./patching_fixture";
import { mountProjection } from "./projection_fixture";
import { mountTracer } from "./tracer_fixture";

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

interface TestTraits extends ShellTraits {
  selected: number;
  other: string;
  _payload: number;
}

const IDLE = { request: 0, state: "done", label: "", fraction: null } as const;

/** A minimal view on the shell: a header bar and one body element showing `_payload`. */
function mountShell(
  state: Partial<TestTraits> = {},
  apply: (
    changed: Set<string>,
    shell: ViewShell<TestTraits>,
    model: FakeModel<TestTraits>,
  ) => void = () => {},
) {
  const model = new FakeModel<TestTraits>({
    selected: 0,
    other: "a",
    _payload: 0,
    _request: 0,
    _status: { ...IDLE },
    _error: "",
    ...state,
  });
  const el = document.createElement("div");
  document.body.appendChild(el);
  const shell: ViewShell<TestTraits> = new ViewShell<TestTraits>(model, {
    name: "test view",
    className: "ilw-test-view",
  });
  const bar = h("div", { className: "ilw-header-bar" });
  const header = { el: h("div", { className: "ilw-header" }, [bar]), bar };
  const body = h("div", { className: "ilw-body" });
  const changes: Array<Set<string>> = [];
  shell.mount(el, { header, body: [body] }, ["selected", "other", "_payload"], (changed) => {
    changes.push(new Set(changed));
    apply(changed, shell, model);
    body.textContent = String(model.get("_payload"));
  });
  const q = <E extends Element = HTMLElement>(selector: string) => el.querySelector<E>(selector) as E;
  return { model, el, shell, q, changes, root: shell.root };
}

describe("view shell: requests", () => {
  it("sets the traits and a new _request in one save_changes", () => {
    const { model, shell } = mountShell();
    const saves: Array<[number, number, string]> = [];
    model.save_changes = () => {
      saves.push([model.get("_request"), model.get("selected"), model.get("other")]);
    };
    expect(shell.request({ selected: 4, other: "b" })).toBe(1);
    expect(saves).toEqual([[1, 4, "b"]]);
    expect(shell.latestRequest).toBe(1);
  });

  it("takes the next id after its own and the model's, whichever is later", () => {
    const { model, shell } = mountShell({ _request: 5, _status: { ...IDLE, request: 5 } });
    expect(shell.request({ selected: 1 })).toBe(6);
    // Python bumps _request for a change made from Python code …
    model.set("_request", 9);
    expect(shell.request({ selected: 2 })).toBe(10);
    // … and a model that lags behind never makes an id repeat.
    model.set("_request", 3);
    expect(shell.request({ selected: 3 })).toBe(11);
  });

  it("sends nothing when every value is already the model's", () => {
    const { model, shell, q } = mountShell({ selected: 2 });
    expect(shell.request({ selected: 2 })).toBeNull();
    expect(model.saveCount).toBe(0);
    expect(model.get("_request")).toBe(0);
    expect(q(".ilw-busy").hidden).toBe(true);
  });

  it("send bumps _request with save_changes first, then sends the message with its id", () => {
    const { model, shell } = mountShell({ _request: 2, _status: { ...IDLE, request: 2 } });
    const order: string[] = [];
    model.save_changes = () => order.push(`save ${model.get("_request")}`);
    const send = model.send.bind(model);
    model.send = (content: unknown) => {
      order.push("send");
      send(content);
    };
    expect(shell.send({ type: "probe" })).toBe(3);
    expect(order).toEqual(["save 3", "send"]);
    expect(model.sent).toEqual([{ type: "probe", request: 3 }]);
    expect(shell.busy).toBe(true);
  });

  it("save writes view state without a request id and without busy", () => {
    const { model, shell, q } = mountShell();
    shell.save({ other: "z" });
    expect(model.get("other")).toBe("z");
    expect(model.saveCount).toBe(1);
    expect(model.get("_request")).toBe(0);
    expect(q(".ilw-busy").hidden).toBe(true);
  });
});

describe("view shell: busy", () => {
  it("shows busy in the same tick as a request and clears it when the reply with that id is done", async () => {
    const { model, shell, q, root } = mountShell();
    const busy = q(".ilw-busy");
    const cancel = q<HTMLButtonElement>(".ilw-cancel");
    expect(busy.hidden).toBe(true);
    expect(cancel.hidden).toBe(true);
    expect(root.classList.contains("ilw-is-busy")).toBe(false);
    const id = shell.request({ selected: 1 });
    // no flush: no kernel round trip, no microtask
    expect(busy.hidden).toBe(false);
    expect(cancel.hidden).toBe(false);
    expect(root.classList.contains("ilw-is-busy")).toBe(true);
    expect(busy.getAttribute("role")).toBe("status");
    expect(q(".ilw-busy-label").textContent).toBe("computing…");
    expect(shell.isCurrent()).toBe(false);
    model.set("_payload", 42);
    model.set("_status", { request: id as number, state: "done", label: "", fraction: null });
    await flush();
    expect(busy.hidden).toBe(true);
    expect(cancel.hidden).toBe(true);
    expect(root.classList.contains("ilw-is-busy")).toBe(false);
    expect(shell.isCurrent()).toBe(true);
  });

  it("a reply to an older request does not clear busy, nor is it current", async () => {
    const { model, shell, q } = mountShell();
    const first = shell.request({ selected: 1 }) as number;
    const second = shell.request({ selected: 2 }) as number;
    model.reply("done", { request: first });
    await flush();
    expect(q(".ilw-busy").hidden).toBe(false);
    expect(shell.isCurrent()).toBe(false);
    expect(shell.replied(first)).toBe(true);
    expect(shell.replied(second)).toBe(false);
    model.reply("done", { request: second });
    await flush();
    expect(q(".ilw-busy").hidden).toBe(true);
    expect(shell.isCurrent()).toBe(true);
  });

  it("stays busy while the latest request runs, and shows its label and real fraction", async () => {
    const { model, shell, q } = mountShell();
    const id = shell.request({ selected: 1 }) as number;
    const progress = q<HTMLProgressElement>(".ilw-progress");
    expect(progress.dataset.fraction).toBe("");
    expect(progress.hasAttribute("value")).toBe(false);
    model.reply("running", { request: id, label: "patching layer 3", fraction: 0.4 });
    await flush();
    expect(q(".ilw-busy").hidden).toBe(false);
    expect(q(".ilw-busy-label").textContent).toBe("patching layer 3");
    expect(progress.dataset.fraction).toBe("0.4");
    expect(progress.getAttribute("value")).toBe("0.4");
    expect(shell.replied(id)).toBe(false);
    // no measured steps: indeterminate, no invented number
    model.reply("running", { request: id, label: "UMAP", fraction: null });
    await flush();
    expect(progress.dataset.fraction).toBe("");
    expect(progress.hasAttribute("value")).toBe(false);
    // a newer request: the running work's fraction is not its progress
    model.reply("running", { request: id, label: "patching layer 3", fraction: 0.9 });
    shell.request({ selected: 2 });
    expect(progress.dataset.fraction).toBe("");
    expect(q(".ilw-busy-label").textContent).toBe("computing…");
  });

  it("shows busy for work Python started itself (its own _request bump)", async () => {
    const { model, q } = mountShell();
    model.set("_request", 1);
    model.reply("running", { request: 1, fraction: 0.1 });
    await flush();
    expect(q(".ilw-busy").hidden).toBe(false);
    expect(q(".ilw-progress").dataset.fraction).toBe("0.1");
    model.reply("done", { request: 1 });
    await flush();
    expect(q(".ilw-busy").hidden).toBe(true);
  });

  it("the cancel button sends {type: 'cancel'} and busy ends when Python reports cancelled", async () => {
    const { model, shell, q } = mountShell();
    const cancel = q<HTMLButtonElement>(".ilw-cancel");
    shell.request({ selected: 5 });
    cancel.click();
    expect(model.sent).toEqual([{ type: "cancel" }]);
    expect(q(".ilw-busy-label").textContent).toBe("cancelling…");
    expect(cancel.disabled).toBe(true);
    // Python restores the selection of its last answer and reports the cancel.
    model.set("selected", 0);
    model.reply("cancelled");
    await flush();
    expect(q(".ilw-busy").hidden).toBe(true);
    expect(cancel.hidden).toBe(true);
    // the next request can be cancelled again
    shell.request({ selected: 6 });
    expect(cancel.disabled).toBe(false);
    expect(q(".ilw-busy-label").textContent).toBe("computing…");
  });

  it("treats a missing or empty _status and an undefined _request as idle at id 0", async () => {
    for (const state of [{ _status: {} }, { _status: undefined, _request: undefined }]) {
      const { shell, q, model } = mountShell(state as Partial<TestTraits>);
      expect(q(".ilw-busy").hidden).toBe(true);
      expect(q(".ilw-error").hidden).toBe(true);
      expect(shell.request({ selected: 1 })).toBe(1);
      expect(model.get("_request")).toBe(1);
      expect(q(".ilw-busy").hidden).toBe(false);
    }
  });

  it("is idle again at once where save_changes echoes _status (static snapshots)", async () => {
    const { model, shell, q } = mountShell();
    model.save_changes = () => model.reply("done");
    shell.request({ selected: 1 });
    await flush();
    expect(q(".ilw-busy").hidden).toBe(true);
    expect(q(".ilw-error").hidden).toBe(true);
  });
});

describe("view shell: banner and lifecycle", () => {
  it("shows _error plus the view's own problems in one alert", async () => {
    const { model, q } = mountShell({}, (changed, shell, m) => {
      if (changed.has("_payload")) shell.problems.set("payload", m.get("_payload") < 0 ? "_payload < 0" : "");
    });
    const banner = q(".ilw-error");
    expect(banner.getAttribute("role")).toBe("alert");
    expect(banner.hidden).toBe(true);
    model.set("_error", "out of memory");
    model.set("_payload", -1);
    await flush();
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toBe("out of memory\n_payload < 0");
    model.set("_error", "");
    model.set("_payload", 1);
    await flush();
    expect(banner.hidden).toBe(true);
  });

  it("names a malformed _status in the banner", async () => {
    const { model, q } = mountShell();
    model.set("_status", { request: "x", state: "finished", fraction: 3 } as never);
    await flush();
    const text = q(".ilw-error").textContent ?? "";
    expect(text).toMatch(/_status\.request must be an integer/);
    expect(text).toMatch(/_status\.state must be one of running, done, error, cancelled/);
    expect(text).toMatch(/_status\.fraction must be a number in 0\.\.1, or null/);
  });

  it("a view error is shown, logged, and does not stop busy from updating", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const { model, shell, q } = mountShell({}, (changed) => {
      if (changed.has("_payload")) throw new Error("boom");
    });
    shell.request({ selected: 1 });
    model.set("_payload", 1);
    model.reply("done");
    await flush();
    expect(q(".ilw-error").textContent).toBe("view error: boom");
    expect(q(".ilw-busy").hidden).toBe(true);
    expect(error).toHaveBeenCalled();
  });

  it("batches changes that arrive together and includes the shell's traits", async () => {
    const { model, changes } = mountShell();
    expect(changes).toHaveLength(1); // the first apply, all traits
    expect([...(changes[0] as Set<string>)].sort()).toEqual(
      ["_error", "_payload", "_request", "_status", "other", "selected"].sort(),
    );
    model.set("_payload", 3);
    model.set("other", "b");
    await flush();
    expect(changes).toHaveLength(2);
    expect([...(changes[1] as Set<string>)]).toEqual(["_payload", "other"]);
    model.reply("done", { request: 1 });
    await flush();
    expect([...(changes[2] as Set<string>)]).toEqual(["_status"]);
  });

  it("destroy removes model and DOM listeners and the root", async () => {
    const { model, el, shell, q, changes } = mountShell();
    const cancel = q<HTMLButtonElement>(".ilw-cancel");
    shell.request({ selected: 1 });
    expect(model.listenerCount()).toBeGreaterThan(0);
    shell.destroy();
    expect(model.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);
    expect(shell.signal.aborted).toBe(true);
    cancel.click();
    expect(model.sent).toEqual([]);
    model.set("_payload", 9);
    await flush();
    expect(changes).toHaveLength(1);
  });

  it("readStatus fills defaults and keeps null fractions", () => {
    expect(readStatus(undefined)).toEqual({ status: IDLE, problem: "" });
    expect(readStatus({ request: 4, state: "done" })).toEqual({
      status: { request: 4, state: "done", label: "", fraction: null },
      problem: "",
    });
    expect(readStatus({ request: 4, state: "running", label: "x", fraction: 0 }).status.fraction).toBe(0);
  });
});

/** Each view, mounted, and one user action of it that is a request. */
const VIEWS: Array<
  [string, () => { model: FakeModel<ShellTraits>; el: HTMLElement }, (el: HTMLElement) => void]
> = [
  [
    "attention explorer",
    () => mount() as never,
    (el) => el.querySelector<HTMLElement>('.ilw-head-cell[data-layer="1"][data-head="1"]')?.click(),
  ],
  [
    "generation tracer",
    () => mountTracer() as never,
    (el) => el.querySelector<HTMLElement>('.ilw-gen-token[data-step="0"]')?.click(),
  ],
  [
    "patching explorer",
    () => mountPatching() as never,
    (el) => el.querySelector<HTMLElement>('.ilw-patch-cell[data-layer="0"][data-position="1"]')?.click(),
  ],
  [
    "failure explorer",
    () => mountFailure() as never,
    (el) => el.querySelector<HTMLElement>('tr.ilw-case[data-case="2"]')?.click(),
  ],
  [
    "projection explorer",
    () => mountProjection() as never,
    (el) => {
      const select = el.querySelector<HTMLSelectElement>("select.ilw-method") as HTMLSelectElement;
      select.value = "tsne";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    },
  ],
];

describe.each(VIEWS)("%s on the shell", (_name, mountView, act) => {
  it("has one busy indicator, progress, cancel button and error banner, idle at first", () => {
    const { el } = mountView();
    for (const selector of [".ilw-busy", ".ilw-progress", ".ilw-cancel", ".ilw-error"]) {
      expect(el.querySelectorAll(selector), selector).toHaveLength(1);
    }
    expect(el.querySelector<HTMLElement>(".ilw-busy")?.hidden).toBe(true);
    expect(el.querySelector<HTMLElement>(".ilw-error")?.hidden).toBe(true);
    expect(el.querySelector(".ilw-header .ilw-busy")).not.toBeNull();
  });

  it("a user action is one request: traits and _request in one save, busy at once, idle on reply", async () => {
    const { model, el } = mountView();
    const requests: number[] = [];
    const save = model.save_changes.bind(model);
    model.save_changes = () => {
      requests.push(model.get("_request"));
      save();
    };
    act(el);
    expect(requests).toEqual([1]);
    expect(el.querySelector<HTMLElement>(".ilw-busy")?.hidden).toBe(false);
    expect(el.firstElementChild?.classList.contains("ilw-is-busy")).toBe(true);
    model.reply("done", { request: 1 });
    await flush();
    expect(el.querySelector<HTMLElement>(".ilw-busy")?.hidden).toBe(true);
    expect(el.firstElementChild?.classList.contains("ilw-is-busy")).toBe(false);
  });
});
