// Numbers for the Usage window's plots: axis bounds, bar positions, labels. Pure (the drawing is in
// usage-plots.ts, the widgets in usage-window.ts).

/** The smallest 1·10ⁿ, 2·10ⁿ or 5·10ⁿ at or above `value` (at least 1). */
export function niceCeiling(value: number): number {
  if (!(value > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** 1234 → "1.2k", 2500000 → "2.5M". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(n));
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The plotting area inside a widget of `width`×`height`, leaving room for the title and axis labels. */
export function plotArea(width: number, height: number): Box {
  const left = 46;
  const top = 24;
  const bottom = 20;
  const right = 10;
  return { x: left, y: top, width: Math.max(1, width - left - right), height: Math.max(1, height - top - bottom) };
}

export interface Bar extends Box {
  series: number;
  value: number;
}

/**
 * Stacked bars, one slot per index, the series stacked bottom-up (e.g. tokens in, then out). Empty
 * slots have no bars; `max` is the nice top of the axis.
 */
export function stackedBars(series: readonly (readonly number[])[], area: Box, gap = 1): { bars: Bar[]; max: number } {
  const slots = Math.max(0, ...series.map((s) => s.length));
  const totals = Array.from({ length: slots }, (_, i) => series.reduce((sum, s) => sum + (s[i] ?? 0), 0));
  const max = niceCeiling(Math.max(0, ...totals));
  const slot = slots ? area.width / slots : area.width;
  const barWidth = Math.max(1, slot - (slot > 3 ? gap : 0));
  const bars: Bar[] = [];
  for (let i = 0; i < slots; i++) {
    let base = 0;
    series.forEach((s, k) => {
      const v = s[i] ?? 0;
      if (v <= 0) return;
      const h = (v / max) * area.height;
      bars.push({ series: k, value: v, x: area.x + i * slot, y: area.y + area.height - ((base + v) / max) * area.height, width: barWidth, height: h });
      base += v;
    });
  }
  return { bars, max };
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** Axis labels under the bars: every `every`-th hour, as local "HH:00" (or the weekday at midnight for days). */
export function hourLabels(firstHour: number, count: number, every: number, days = false): { index: number; text: string }[] {
  const out: { index: number; text: string }[] = [];
  for (let i = 0; i < count; i++) {
    const at = new Date((firstHour + i) * 3600_000);
    if (days) {
      if (at.getHours() === 0) out.push({ index: i, text: `${WEEKDAYS[at.getDay()]} ${at.getDate()}` });
    } else if (i % every === 0) out.push({ index: i, text: `${String(at.getHours()).padStart(2, "0")}:00` });
  }
  return out;
}
