/** Example state and mounting for the projection explorer view. */
import type { RenderProps } from "@anywidget/types";
import { DEFAULT_HEIGHT, DEFAULT_WIDTH, fitView, toScreen } from "../src/components/scatter_view";
import type { ProjectionExplorerTraits } from "../src/projection/types";
import widget from "../src/projection_explorer";
import { FakeModel, wire } from "./fake_model";

export const EVIL = "<img src=x onerror=alert(1)>";
export const TEXTS = ["The cat sat on the mat.", `${EVIL} dogs run`];
/** Six points: four in a unit square near the origin, two far away at the top right. */
export const XY: Array<[number, number]> = [
  [0, 0],
  [1, 0],
  [0, 1],
  [1, 1],
  [10, 10],
  [9, 10],
];
export const POS = { names: ["noun", "verb"], values: [0, 1, 0, -1, 1, 0] };
/** [text, start, end] of each point's token. */
export const SOURCE: Array<[number, number, number]> = [
  [0, 4, 7],
  [0, 8, 11],
  [0, 19, 22],
  [0, 0, 3],
  [1, 0, EVIL.length],
  [1, 29, 33],
];

export function pointsWire(layer: number, method: string, xy: Array<[number, number]> = XY) {
  return { layer, method, xy: wire("float32", [xy.length, 2], new Float32Array(xy.flat())) };
}

export function projectionState(overrides: Partial<ProjectionExplorerTraits> = {}): ProjectionExplorerTraits {
  const column = (k: number) => new Int32Array(SOURCE.map((s) => s[k] as number));
  return {
    selected_layer: 4,
    method: "pca",
    color_by: "pos",
    selected_points: [],
    _model_label: "tiny-test-model",
    _layers: [0, 2, 4, 6],
    _methods: ["pca", "umap", "tsne"],
    _n_points: XY.length,
    _points: pointsWire(4, "pca"),
    _label_sets: {
      pos: { names: POS.names, values: wire("int32", [XY.length], new Int32Array(POS.values)) },
      sentence: {
        names: ["first", "second"],
        values: wire("int32", [XY.length], new Int32Array([0, 0, 0, 0, 1, 1])),
      },
    },
    _texts: TEXTS,
    _point_source: {
      text: wire("int32", [XY.length], column(0)),
      start: wire("int32", [XY.length], column(1)),
      end: wire("int32", [XY.length], column(2)),
    },
    _selection: {},
    _probe: {},
    _request: 0,
    _status: { request: 0, state: "done", label: "", fraction: null },
    _error: "",
    ...overrides,
  };
}

/** Where point `id` of XY is drawn right after a fit (the test DOM has no layout: default box size). */
export function fittedScreen(id: number): [number, number] {
  const view = fitView({ minX: 0, minY: 0, maxX: 10, maxY: 10 }, DEFAULT_WIDTH, DEFAULT_HEIGHT);
  const [x, y] = XY[id] as [number, number];
  return toScreen(view, x, y);
}

export function mountProjection(overrides: Partial<ProjectionExplorerTraits> = {}) {
  const model = new FakeModel<ProjectionExplorerTraits>(projectionState(overrides));
  const el = document.createElement("div");
  document.body.appendChild(el);
  const props = { model, el } as unknown as RenderProps<ProjectionExplorerTraits>;
  const cleanup = widget.render(props) as () => void;
  const q = <E extends Element = HTMLElement>(selector: string) => el.querySelector<E>(selector);
  const qa = <E extends Element = HTMLElement>(selector: string) => [...el.querySelectorAll<E>(selector)];
  return { model, el, cleanup, q, qa };
}

/** Dispatch a pointer event on `target` at client (x, y). */
export function pointer(
  target: Element,
  type: string,
  x: number,
  y: number,
  init: PointerEventInit = {},
): void {
  target.dispatchEvent(
    new PointerEvent(type, {
      clientX: x,
      clientY: y,
      button: 0,
      pointerId: 1,
      bubbles: true,
      cancelable: true,
      ...init,
    }),
  );
}

/** Press at `from`, move through `path`, release at the last point. */
export function drag(target: Element, path: Array<[number, number]>, init: PointerEventInit = {}): void {
  const [first] = path as [[number, number]];
  pointer(target, "pointerdown", first[0], first[1], init);
  for (const [x, y] of path.slice(1)) pointer(target, "pointermove", x, y, init);
  const last = path[path.length - 1] as [number, number];
  pointer(target, "pointerup", last[0], last[1], init);
}
