// The Usage window's plots, drawn with Cairo on whatever context the caller hands over (a DrawingArea's
// "draw" signal, or an image surface in a spec). No gi:// import: the context is described below by
// the few methods used (gjs's cairo binding), the numbers come from plot-geometry.ts.
import { formatCount, hourLabels, niceCeiling, plotArea, stackedBars } from "./plot-geometry.js";

/** The part of gjs's cairo.Context these plots use. */
export interface CairoContext {
  setSourceRGBA(r: number, g: number, b: number, a: number): void;
  rectangle(x: number, y: number, w: number, h: number): void;
  fill(): void;
  stroke(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  setLineWidth(w: number): void;
  selectFontFace(family: string, slant: number, weight: number): void;
  setFontSize(size: number): void;
  showText(text: string): void;
  textExtents(text: string): { width: number; height: number };
  paint(): void;
}

type Rgb = [number, number, number];

export const COLORS = {
  tokensIn: [0.21, 0.52, 0.89] as Rgb,
  tokensOut: [0.9, 0.45, 0.13] as Rgb,
  p50: [0.15, 0.64, 0.41] as Rgb,
  p90: [0.75, 0.11, 0.16] as Rgb,
  axis: [0.45, 0.45, 0.45] as Rgb,
  text: [0.2, 0.2, 0.2] as Rgb,
  background: [1, 1, 1] as Rgb,
};

function color(cr: CairoContext, [r, g, b]: Rgb, a = 1): void {
  cr.setSourceRGBA(r, g, b, a);
}

function text(cr: CairoContext, x: number, y: number, value: string, size = 10, bold = false, align: "left" | "center" | "right" = "left"): void {
  cr.selectFontFace("Sans", 0, bold ? 1 : 0);
  cr.setFontSize(size);
  const w = align === "left" ? 0 : cr.textExtents(value).width;
  cr.moveTo(align === "center" ? x - w / 2 : align === "right" ? x - w : x, y);
  cr.showText(value);
}

function frame(cr: CairoContext, width: number, height: number, title: string): ReturnType<typeof plotArea> {
  color(cr, COLORS.background);
  cr.paint();
  color(cr, COLORS.text);
  text(cr, 8, 15, title, 11, true);
  return plotArea(width, height);
}

function yAxis(cr: CairoContext, area: ReturnType<typeof plotArea>, max: number, format: (n: number) => string): void {
  cr.setLineWidth(1);
  for (const f of [0, 0.5, 1]) {
    const y = Math.round(area.y + area.height - f * area.height) + 0.5;
    color(cr, COLORS.axis, f === 0 ? 0.8 : 0.25);
    cr.moveTo(area.x, y);
    cr.lineTo(area.x + area.width, y);
    cr.stroke();
    color(cr, COLORS.axis);
    text(cr, area.x - 4, y + 3, format(max * f), 9, false, "right");
  }
}

function legend(cr: CairoContext, width: number, items: [string, Rgb][]): void {
  let x = width - 10;
  for (const [label, c] of [...items].reverse()) {
    cr.selectFontFace("Sans", 0, 0);
    cr.setFontSize(9);
    x -= cr.textExtents(label).width;
    color(cr, COLORS.text);
    cr.moveTo(x, 15);
    cr.showText(label);
    x -= 14;
    color(cr, c);
    cr.rectangle(x, 7, 10, 10);
    cr.fill();
    x -= 10;
  }
}

/** Tokens per hour (in and out, stacked), with hour or day labels under the bars. */
export function drawTokenBars(cr: CairoContext, width: number, height: number, title: string,
  series: { firstHour: number; tokensIn: readonly number[]; tokensOut: readonly number[] }, days: boolean): void {
  const area = frame(cr, width, height, title);
  legend(cr, width, [["in", COLORS.tokensIn], ["out", COLORS.tokensOut]]);
  const { bars, max } = stackedBars([series.tokensIn, series.tokensOut], area, days ? 0 : 2);
  yAxis(cr, area, max, formatCount);
  for (const bar of bars) {
    color(cr, bar.series === 0 ? COLORS.tokensIn : COLORS.tokensOut);
    cr.rectangle(bar.x, bar.y, bar.width, bar.height);
    cr.fill();
  }
  const count = series.tokensIn.length;
  const slot = area.width / Math.max(1, count);
  color(cr, COLORS.text);
  for (const label of hourLabels(series.firstHour, count, 4, days)) text(cr, area.x + label.index * slot + (days ? 0 : slot / 2), area.y + area.height + 13, label.text, 9, false, days ? "left" : "center");
  if (bars.length === 0) {
    color(cr, COLORS.axis);
    text(cr, area.x + area.width / 2, area.y + area.height / 2, "no requests in this period", 10, false, "center");
  }
}

/** First-byte time per provider: p50 and p90 side by side, in milliseconds. */
export function drawTtfb(cr: CairoContext, width: number, height: number, title: string, rows: readonly { label: string; p50: number | null; p90: number | null }[]): void {
  const area = frame(cr, width, height, title);
  legend(cr, width, [["p50", COLORS.p50], ["p90", COLORS.p90]]);
  const shown = rows.filter((r) => r.p50 !== null);
  const max = niceCeiling(Math.max(0, ...shown.map((r) => r.p90 ?? r.p50 ?? 0)));
  yAxis(cr, area, max, (n) => (n >= 1000 ? `${(n / 1000).toFixed(n >= 10000 ? 0 : 1)} s` : `${Math.round(n)} ms`));
  const slot = area.width / Math.max(1, shown.length);
  const barWidth = Math.min(40, slot / 3);
  shown.forEach((r, i) => {
    const x = area.x + i * slot + slot / 2;
    for (const [k, value, c] of [[0, r.p50, COLORS.p50], [1, r.p90, COLORS.p90]] as [number, number | null, Rgb][]) {
      if (value === null) continue;
      const h = (value / max) * area.height;
      color(cr, c);
      cr.rectangle(x - barWidth + k * barWidth, area.y + area.height - h, barWidth - 1, h);
      cr.fill();
    }
    color(cr, COLORS.text);
    text(cr, x, area.y + area.height + 13, r.label.length > 24 ? `${r.label.slice(0, 23)}…` : r.label, 9, false, "center");
  });
  if (shown.length === 0) {
    color(cr, COLORS.axis);
    text(cr, area.x + area.width / 2, area.y + area.height / 2, "no first-byte times yet", 10, false, "center");
  }
}
