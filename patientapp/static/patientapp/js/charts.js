// Simple line charts of the patient's own answers (SVG, no library).
import { svg, h } from "./ui.js";

export function series(entries, pick) {
  const points = [];
  for (const entry of entries) {
    const value = pick(entry.symptoms || {});
    if (typeof value === "number" && Number.isFinite(value)) points.push({ at: entry.recorded_at, value });
  }
  return points.sort((a, b) => (new Date(a.at) < new Date(b.at) ? -1 : 1)).slice(-30);
}

export function lineChart({ title, unit, points, low, high, describe }) {
  const width = 320;
  const height = 140;
  const pad = 28;
  if (!points.length) return null;
  const values = points.map((p) => p.value);
  const min = Math.min(low ?? Infinity, ...values);
  const max = Math.max(high ?? -Infinity, ...values);
  const span = max - min || 1;
  const x = (i) => pad + (points.length === 1 ? (width - 2 * pad) / 2 : (i * (width - 2 * pad)) / (points.length - 1));
  const y = (v) => height - pad - ((v - min) * (height - 2 * pad)) / span;
  const path = points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  const last = points[points.length - 1].value;
  const label = describe(last, points.length);
  return h(
    "figure",
    { class: "chart" },
    h("figcaption", {}, `${title} (${unit})`),
    svg(
      "svg",
      { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart-svg" },
      svg("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: "axis" }),
      svg("text", { x: 2, y: y(max) + 4, class: "tick" }, String(Math.round(max * 10) / 10)),
      svg("text", { x: 2, y: y(min) + 4, class: "tick" }, String(Math.round(min * 10) / 10)),
      svg("polyline", { points: path, class: "line", fill: "none" }),
      points.map((p, i) => svg("circle", { cx: x(i), cy: y(p.value), r: 3, class: "dot" })),
    ),
  );
}
