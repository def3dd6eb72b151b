/** How the attribution view names methods and formats scores, errors and areas. */

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

/** A score with 3 significant digits and its sign ("+0.123", "−1.05e-4"); "0" for zero. */
export function formatScore(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const abs = Math.abs(value);
  const digits = abs >= 1e-3 && abs < 1e4 ? abs.toPrecision(3) : abs.toExponential(2);
  return `${value < 0 ? "−" : "+"}${digits}`;
}

/** A value (target, area) with 3 decimals; a minus sign, never "-0.000". */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const text = Math.abs(value).toFixed(3);
  return value < 0 && text !== "0.000" ? `−${text}` : text;
}

/** A relative error as a percentage: "1.2 %", "< 0.1 %", "210 %". */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return String(fraction);
  const percent = fraction * 100;
  if (percent < 0.1) return "< 0.1 %";
  return `${percent < 10 ? percent.toFixed(1) : percent.toFixed(0)} %`;
}
