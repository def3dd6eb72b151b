/** Render the attention explorer into a fresh element against a FakeModel. */
import type { RenderProps } from "@anywidget/types";
import type { AttentionExplorerTraits } from "../src/attention/types";
import widget from "../src/attention_explorer";
import { exampleState } from "./attention_fixture";
import { FakeModel } from "./fake_model";

export function mount(overrides: Partial<AttentionExplorerTraits> = {}) {
  const model = new FakeModel(exampleState(overrides));
  const el = document.createElement("div");
  document.body.appendChild(el);
  const props = { model, el } as unknown as RenderProps<AttentionExplorerTraits>;
  const cleanup = widget.render(props) as () => void;
  const q = <E extends Element = HTMLElement>(selector: string) => el.querySelector<E>(selector);
  const qa = <E extends Element = HTMLElement>(selector: string) => [...el.querySelectorAll<E>(selector)];
  return { model, el, cleanup, q, qa };
}

export function key(target: Element, key: string, init: KeyboardEventInit = {}): void {
  target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...init }));
}
