/** Example state and mounting for the feature explorer: 650 latents of a layer-3 TopK SAE. */
import type { RenderProps } from "@anywidget/types";
import widget from "../src/feature_explorer";
import type {
  ContextWire,
  DashboardWire,
  FeatureExplorerTraits,
  FeaturesWire,
  PromptWire,
} from "../src/features/types";
import { FakeModel, wire } from "./fake_model";

export const N_LATENTS = 650;

/** Every tenth latent (0, 10, …) is dead. */
export const isDead = (i: number): boolean => i % 10 === 0;
export const densityOf = (i: number): number => (isDead(i) ? 0 : (((i * 37) % 100) + 1) / 1e4);
export const maxOf = (i: number): number => (isDead(i) ? 0 : ((i * 53) % 97) / 10 + 0.5);

/** Top tokens by latent: " the"/"a", a newline, or " cat" with a count of 2..6. */
export function topTokensOf(i: number): Array<[string, number]> {
  if (isDead(i)) return [];
  if (i % 3 === 0)
    return [
      [" the", 14],
      ["a", 3],
    ];
  if (i % 3 === 1) return [["\n", 5]];
  return [[" cat", 2 + (i % 5)]];
}

export function featuresWire(n = N_LATENTS, overrides: Partial<FeaturesWire> = {}): FeaturesWire {
  const ids = Array.from({ length: n }, (_, i) => i);
  return {
    n_latents: n,
    n_rows: 123456,
    layer: 3,
    k: 32,
    density: wire("float32", [n], new Float32Array(ids.map(densityOf))),
    max_activation: wire("float32", [n], new Float32Array(ids.map(maxOf))),
    top_tokens: ids.map(topTokensOf),
    top_k: 20,
    ...overrides,
  };
}

export function context(overrides: Partial<ContextWire> = {}): ContextWire {
  return {
    tokens: ["The", " cat", " sat", " on"],
    values: [0, 4, 2, 0],
    focus: 1,
    activation: 4,
    text_index: 17,
    ...overrides,
  };
}

export const EDGES = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56];
export const COUNTS = [3, 8, 20, 41, 30, 12, 5, 1];

export function dashboardWire(overrides: Partial<DashboardWire> = {}): DashboardWire {
  return {
    feature: 5,
    density: 0.0123,
    max_activation: 4,
    contexts: [context(), context({ tokens: [" dog", " ran"], values: [1, 3], focus: 1, activation: 3 })],
    quantiles: [
      {
        label: "0.50–0.75 of max",
        low: 2,
        high: 3,
        contexts: [context({ values: [0, 2.5, 0, 0], activation: 2.5 })],
      },
      {
        label: "0.00–0.25 of max",
        low: 0,
        high: 1,
        contexts: [
          context({ values: [0, 0.5, 0, 0], activation: 0.5 }),
          context({ values: [0, 0.2, 0.1, 0], activation: 0.2 }),
        ],
      },
    ],
    histogram: { counts: COUNTS, edges: EDGES },
    promoted: [
      { token: " cats", logit: 1.234 },
      { token: " kitten", logit: 0.9 },
      { token: "\n", logit: 0.5 },
    ],
    suppressed: [
      { token: " dog", logit: -0.75 },
      { token: "ly", logit: -0.1 },
    ],
    ...overrides,
  };
}

export function promptWire(overrides: Partial<PromptWire> = {}): PromptWire {
  return {
    tokens: ["<|im_start|>", "The", " cat", "\n"],
    features: [
      [],
      [1, 5, 7, 9, 11, 13].map((feature, j) => ({ feature, activation: 3.21 - j * 0.5 })),
      [{ feature: 7, activation: 1.5 }],
      [],
    ],
    skipped: 1,
    max_activation: 4,
    ...overrides,
  };
}

export function featureState(overrides: Partial<FeatureExplorerTraits> = {}): FeatureExplorerTraits {
  return {
    sort_by: "index",
    selected_feature: -1,
    text: "The cat\n",
    _model_label: "tiny-test-model",
    _features: featuresWire(),
    _dashboard: {},
    _prompt: promptWire(),
    _request: 0,
    _status: { request: 0, state: "done", label: "", fraction: null },
    _error: "",
    ...overrides,
  };
}

export function mountFeatures(overrides: Partial<FeatureExplorerTraits> = {}) {
  const model = new FakeModel<FeatureExplorerTraits>(featureState(overrides));
  const el = document.createElement("div");
  document.body.appendChild(el);
  const props = { model, el } as unknown as RenderProps<FeatureExplorerTraits>;
  const cleanup = widget.render(props) as () => void;
  const q = <E extends Element = HTMLElement>(selector: string) => el.querySelector<E>(selector);
  const qa = <E extends Element = HTMLElement>(selector: string) => [...el.querySelectorAll<E>(selector)];
  return { model, el, cleanup, q, qa };
}
