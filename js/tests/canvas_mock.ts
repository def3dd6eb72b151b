import { vi } from "vitest";

/**
 * Every canvas's 2D context mocked: it records the calls made, keeps the `plot`-wide ImageData (the
 * heatmap's) and every other one put (thumbnails), and reads pixels back.
 */
export function mockContext(plot: number) {
  const calls: string[] = [];
  const painted: { image: { data: Uint8ClampedArray } | null; thumbs: Array<{ data: Uint8ClampedArray }> } = {
    image: null,
    thumbs: [],
  };
  const ctx = new Proxy(
    {},
    {
      get: (_target, prop) => {
        if (prop === "createImageData")
          return (w: number, hgt: number) => ({
            width: w,
            height: hgt,
            data: new Uint8ClampedArray(4 * w * hgt),
          });
        if (prop === "putImageData")
          return (image: { width: number; data: Uint8ClampedArray }) => {
            calls.push("putImageData");
            if (image.width === plot) painted.image = image;
            else painted.thumbs.push(image);
          };
        return () => calls.push(String(prop));
      },
      set: () => true,
    },
  );
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(ctx as never);
  /** RGBA of plot pixel (row, col). */
  const rgba = (row: number, col: number) => {
    const p = 4 * (row * plot + col);
    return [...(painted.image as { data: Uint8ClampedArray }).data.slice(p, p + 4)];
  };
  /** RGBA of the plot pixel at the centre of token pair (q, k), n tokens unzoomed. */
  const pixel = (n: number, q: number, k: number) => {
    const cell = plot / n;
    return rgba(Math.floor(cell * (q + 0.5)), Math.floor(cell * (k + 0.5)));
  };
  return { calls, painted, pixel, rgba };
}
