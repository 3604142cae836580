/**
 * A value as our error messages show it: strings quoted, so that "1" and 1 differ; NaN, Infinity
 * and undefined by name; objects and arrays as JSON, cut short.
 */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
  if (typeof value !== 'object' || value === null) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = `a ${value.constructor?.name ?? 'object'}`;
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
