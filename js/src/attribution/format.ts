/** How the attribution view names methods and formats scores (values and percentages: components/patch_*). */

/** Readable method names; an unknown method is shown as is. */
const METHOD_NAMES: Record<string, string> = {
  integrated_gradients: "integrated gradients",
  gradient_x_input: "gradient × input",
  occlusion: "occlusion",
  attention_x_gradient: "attention × gradient",
};

export function methodName(method: string): string {
  return METHOD_NAMES[method] ?? method;
}

/** A score with 3 significant digits and its sign ("+0.123", "-1.05e-4"); "0" for zero. */
export function formatScore(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const abs = Math.abs(value);
  const digits = abs >= 1e-3 && abs < 1e4 ? abs.toPrecision(3) : abs.toExponential(2);
  return `${value < 0 ? "-" : "+"}${digits}`;
}
