/** Example state and mounting for the failure explorer view. */
import type { RenderProps } from "@anywidget/types";
import type {
  CaseWire,
  FailureExplorerTraits,
  FailureRunWire,
  KindSummaryWire,
  SideBySideWire,
} from "../src/failure/types";
import widget from "../src/failure_explorer";
import { FakeModel, wire } from "./fake_model";

function testCase(c: Partial<CaseWire> & Pick<CaseWire, "id" | "kind" | "passed" | "effect">): CaseWire {
  return {
    capability: "INV",
    prompt: `prompt ${c.id}`,
    original: `original ${c.id}`,
    expected: "same top token as original",
    top: " bird",
    top_prob: 0.5,
    detail: "",
    ...c,
  };
}

/** Default order (failures first, then |effect| descending): 3, 1, 2, 4, 0, 5. */
export const CASES: CaseWire[] = [
  testCase({ id: 0, kind: "typo", passed: true, effect: 0.02, prompt: "A robin is a kind of" }),
  testCase({ id: 1, kind: "negation", capability: "DIR", passed: false, effect: -0.4, top: " cat" }),
  testCase({
    id: 2,
    kind: "distractor",
    passed: false,
    effect: 0.15,
    prompt: "Zebras are striped. A robin is a",
  }),
  testCase({
    id: 3,
    kind: "typo",
    passed: false,
    effect: -0.6,
    prompt: "A robbin is a kind of",
    original: "A robin is a kind of",
    top: " fish",
    top_prob: 0.25,
    detail: "p(' bird') 0.700 → 0.100",
  }),
  testCase({ id: 4, kind: "bias", capability: "BIAS", passed: true, effect: -0.3 }),
  testCase({ id: 5, kind: "casing", capability: "MFT", passed: true, effect: 0, original: "" }),
];

export const SUMMARY: KindSummaryWire[] = [
  { kind: "typo", n: 2, failed: 1, failure_rate: 0.5, mean_effect: -0.29 },
  { kind: "negation", n: 1, failed: 1, failure_rate: 1, mean_effect: -0.4 },
  { kind: "distractor", n: 1, failed: 1, failure_rate: 1, mean_effect: 0.15 },
  { kind: "bias", n: 1, failed: 0, failure_rate: 0, mean_effect: -0.3 },
  { kind: "casing", n: 1, failed: 0, failure_rate: 0, mean_effect: 0 },
];

export const LAYERS = 3;
export const HEADS = 2;
/** head_diff[layer, head]; the largest is layer 2, head 1. */
export const HEAD_DIFF = [0, 0.25, 0.5, 0.1, 0.2, 0.9];

export function run(overrides: Partial<FailureRunWire> = {}): FailureRunWire {
  return {
    prompt: "A robin is a kind of",
    tokens: ["A", " robin", " is", " a", " kind", " of"],
    changed: [false, true, false, false, false, false],
    top: [
      [" bird", 0.7],
      [" animal", 0.1],
      [" fish", 0.05],
      [" thing", 0.02],
      [" plant", 0.0001],
    ],
    lens_top: [" the", " a", " bird", " bird"],
    lens_target: wire("float32", [LAYERS + 1], new Float32Array([0, 0.125, 0.5, 0.75])),
    ...overrides,
  };
}

export function sideBySide(overrides: Partial<SideBySideWire> = {}): SideBySideWire {
  return {
    case: 3,
    target: " bird",
    original: run(),
    perturbed: run({
      prompt: "A robbin is a kind of",
      tokens: ["A", " rob", "bin", " is", " a", " kind", " of"],
      changed: [false, true, true, false, false, false, false],
      top: [
        [" fish", 0.25],
        [" bird", 0.1],
      ],
      lens_top: [" the", " a", " fish", " fish"],
      lens_target: wire("float32", [LAYERS + 1], new Float32Array([0, 0.0625, 0.125, 0.25])),
    }),
    head_diff: wire("float32", [LAYERS, HEADS], new Float32Array(HEAD_DIFF)),
    head_diff_label: "attention change of the last token (total variation)",
    ...overrides,
  };
}

export function failureState(overrides: Partial<FailureExplorerTraits> = {}): FailureExplorerTraits {
  return {
    selected_case: 3,
    _model_label: "tiny-test-model",
    _cases: CASES,
    _summary: SUMMARY,
    _side_by_side: sideBySide(),
    _request: 0,
    _status: { request: 0, state: "done", label: "", fraction: null },
    _error: "",
    ...overrides,
  };
}

export function mountFailure(overrides: Partial<FailureExplorerTraits> = {}) {
  const model = new FakeModel<FailureExplorerTraits>(failureState(overrides));
  const el = document.createElement("div");
  document.body.appendChild(el);
  const props = { model, el } as unknown as RenderProps<FailureExplorerTraits>;
  const cleanup = widget.render(props) as () => void;
  const q = <E extends Element = HTMLElement>(selector: string) => el.querySelector<E>(selector);
  const qa = <E extends Element = HTMLElement>(selector: string) => [...el.querySelectorAll<E>(selector)];
  return { model, el, cleanup, q, qa };
}
