// A daily chart drawn as inline SVG: counts as bars (left axis), money as a line (right
// axis). The figure is described in words (title, summary) and its numbers are in a
// table under it, for screen readers and keyboards.

import {h, s, uid} from "./dom.js";
import {count, day} from "./format.js";

const W = 720;
const H = 260;
const PAD = {left: 48, right: 72, top: 16, bottom: 36};

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

/**
 * spec: {title, days: ["2025-05-01", ...], bars: [{label, cls, values: [n]}],
 *        line: {label, cls, values: [number|null], format: (n) => text} | null,
 *        summary: text}
 */
export function dailyChart(spec) {
  const titleId = uid("chart-title");
  const descId = uid("chart-desc");
  const n = spec.days.length || 1;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / n;
  // counts: at least 4 so that the 4 grid steps are whole numbers
  const barMax = Math.max(4, niceMax(Math.max(0, ...spec.bars.flatMap((bar) => bar.values))));
  const lineValues = spec.line ? spec.line.values.map((v) => (v === null ? 0 : v)) : [];
  const lineMax = niceMax(Math.max(0, ...lineValues));
  const y = (v, max) => PAD.top + plotH - (v / max) * plotH;
  const nodes = [];

  for (let i = 0; i <= 4; i += 1) {  // grid and left axis
    const v = (barMax * i) / 4;
    const gy = y(v, barMax);
    nodes.push(s("line", {x1: PAD.left, x2: W - PAD.right, y1: gy, y2: gy, class: "grid"}));
    nodes.push(s("text", {x: PAD.left - 6, y: gy + 4, class: "axis", "text-anchor": "end"},
      count(Math.round(v * 100) / 100)));
    if (spec.line) {
      nodes.push(s("text", {x: W - PAD.right + 6, y: gy + 4, class: "axis"},
        spec.line.format((lineMax * i) / 4)));
    }
  }
  const barWidth = Math.max(1, (slot * 0.8) / spec.bars.length);
  spec.days.forEach((d, index) => {
    const x0 = PAD.left + index * slot + slot * 0.1;
    spec.bars.forEach((bar, b) => {
      const v = bar.values[index] || 0;
      if (v > 0) {
        nodes.push(s("rect", {x: x0 + b * barWidth, y: y(v, barMax), width: barWidth,
                              height: PAD.top + plotH - y(v, barMax), class: bar.cls},
          s("title", {}, `${day(d, true)}: ${count(v)} ${bar.label.toLowerCase()}`)));
      }
    });
    const every = Math.ceil(n / 8);
    const lastFits = (n - 1) % every >= every / 2;  // not on top of the previous label
    if (index % every === 0 || (index === n - 1 && lastFits)) {
      nodes.push(s("text", {x: PAD.left + index * slot + slot / 2, y: H - PAD.bottom + 16,
                            class: "axis", "text-anchor": "middle"}, day(d, true)));
    }
  });
  if (spec.line && lineValues.length) {
    const points = lineValues.map((v, index) =>
      `${(PAD.left + index * slot + slot / 2).toFixed(1)},${y(v, lineMax).toFixed(1)}`);
    nodes.push(s("polyline", {points: points.join(" "), class: ["line", spec.line.cls]}));
    lineValues.forEach((v, index) => {
      if (v > 0) {
        nodes.push(s("circle", {cx: PAD.left + index * slot + slot / 2, cy: y(v, lineMax),
                                r: 3, class: ["dot", spec.line.cls]},
          s("title", {}, `${day(spec.days[index], true)}: ${spec.line.format(v)}`)));
      }
    });
  }
  nodes.push(s("line", {x1: PAD.left, x2: W - PAD.right, y1: PAD.top + plotH,
                        y2: PAD.top + plotH, class: "baseline"}));

  const legend = h("ul", {class: "legend"},
    spec.bars.map((bar) => h("li", {}, h("span", {class: ["swatch", bar.cls]}), bar.label)),
    spec.line ? h("li", {}, h("span", {class: ["swatch", "swatch-line", spec.line.cls]}),
      spec.line.label) : null);
  const svg = s("svg", {viewBox: `0 0 ${W} ${H}`, role: "img", class: "chart",
                        "aria-labelledby": `${titleId} ${descId}`},
    s("title", {id: titleId}, spec.title), s("desc", {id: descId}, spec.summary || ""),
    nodes);
  const columns = [...spec.bars.map((bar) => bar.label), spec.line ? spec.line.label : null]
    .filter(Boolean);
  const data = h("details", {class: "chart-data"},
    h("summary", {}, "The chart's numbers"),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", {scope: "col"}, "Day"),
        columns.map((c) => h("th", {scope: "col", class: "num"}, c)))),
      h("tbody", {}, spec.days.map((d, index) => h("tr", {},
        h("th", {scope: "row"}, day(d)),
        spec.bars.map((bar) => h("td", {class: "num"}, count(bar.values[index] || 0))),
        spec.line ? h("td", {class: "num"}, spec.line.format(spec.line.values[index] || 0))
          : null)))));
  return h("figure", {class: "chart-box"},
    h("figcaption", {}, spec.title), legend, svg,
    spec.summary ? h("p", {class: "chart-summary"}, spec.summary) : null, data);
}
