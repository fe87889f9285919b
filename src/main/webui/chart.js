// A small line chart on a <canvas> for the live curves: the logged values as a faint line, their
// smoothed line over it (as LlamaBoard and plot_loss draw them), evaluations as dots, linear axes
// with rounded ticks. No library: the page loads nothing from elsewhere.
"use strict";

/**
 * LLaMA-Factory's smooth() (extras/ploting.py), the same as jtune's LossPlot.smooth: a
 * TensorBoard-style exponential moving average starting at the first value, whose weight
 * 1.8 * (sigmoid(0.05 n) - 0.5) grows with the number of points n, so a short curve is barely smoothed.
 */
function smooth(values) {
  if (values.length === 0) return [];
  const weight = 1.8 * (1 / (1 + Math.exp(-0.05 * values.length)) - 0.5);
  const out = [];
  let last = values[0];
  for (const v of values) {
    last = last * weight + (1 - weight) * v;
    out.push(last);
  }
  return out;
}

/** A logged curve as two series: its raw points, faint, and their smoothed line. */
function smoothedSeries(points, color, label, smoothedLabel) {
  const ys = smooth(points.map(p => p[1]));
  return [
    {points, color, label, faint: true},
    {points: points.map((p, i) => [p[0], ys[i]]), color, label: smoothedLabel}
  ];
}

/** Tick values covering [lo, hi] at a 1-2-5 step, about `count` of them. */
function niceTicks(lo, hi, count) {
  if (!(hi > lo)) { hi = lo + 1; }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw);
  const ticks = [];
  // a step below the values' float resolution would never advance v: stop at a sane count
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9 && ticks.length < 50; v += step) ticks.push(+v.toFixed(10));
  return ticks;
}

/**
 * Draws series onto canvas. series: [{points: [[x, y]...], color, label, dots}]. Sizes itself to
 * the element's displayed size (and the screen's pixel ratio) so the lines stay sharp.
 */
function drawChart(canvas, series, labels) {
  canvas.drawnSeries = series; // what was drawn, for tests
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width, height = canvas.clientHeight || canvas.height;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, width, height);
  g.font = "11px system-ui, sans-serif";
  const all = series.flatMap(s => s.points);
  if (all.length === 0) {
    g.fillStyle = "#7a859b";
    g.fillText(labels.empty, 16, height / 2);
    return;
  }
  const pad = {left: 52, right: 14, top: 24, bottom: 30};
  const xs = all.map(p => p[0]), ys = all.map(p => p[1]);
  let xMin = Math.min(...xs), xMax = Math.max(...xs), yMin = Math.min(...ys), yMax = Math.max(...ys);
  if (xMax === xMin) { xMax = xMin + 1; }
  // values equal but for float rounding (a raw point and its smoothed twin) are drawn as a flat line
  const span = yMax - yMin > Math.abs(yMax) * 1e-9 ? yMax - yMin : 0;
  const yPad = span * 0.08 || Math.abs(yMax) * 0.1 || 1;
  yMin -= yPad; yMax += yPad;
  const X = x => pad.left + (x - xMin) / (xMax - xMin) * (width - pad.left - pad.right);
  const Y = y => height - pad.bottom - (y - yMin) / (yMax - yMin) * (height - pad.top - pad.bottom);

  g.strokeStyle = "#e3e7ee"; g.fillStyle = "#5d6880"; g.lineWidth = 1;
  for (const v of niceTicks(yMin, yMax, 5)) {
    g.beginPath(); g.moveTo(pad.left, Y(v)); g.lineTo(width - pad.right, Y(v)); g.stroke();
    g.textAlign = "right"; g.fillText(String(v), pad.left - 6, Y(v) + 4);
  }
  g.textAlign = "center";
  for (const v of niceTicks(xMin, xMax, 8)) {
    if (v !== Math.round(v)) continue; // steps are whole numbers
    g.fillText(String(v), X(v), height - pad.bottom + 16);
  }
  g.fillText(labels.x, width / 2, height - 3);
  g.strokeStyle = "#9aa4b6";
  g.beginPath(); g.moveTo(pad.left, pad.top); g.lineTo(pad.left, height - pad.bottom); g.lineTo(width - pad.right, height - pad.bottom); g.stroke();

  let legendX = pad.left + 8;
  for (const s of series) {
    g.strokeStyle = s.color; g.fillStyle = s.color; g.lineWidth = s.faint ? 1.5 : 2;
    g.globalAlpha = s.faint ? 0.3 : 1;
    if (s.dots) {
      for (const [x, y] of s.points) { g.beginPath(); g.arc(X(x), Y(y), 3.5, 0, 2 * Math.PI); g.fill(); }
    } else if (s.points.length > 0) {
      g.beginPath();
      s.points.forEach(([x, y], i) => (i === 0 ? g.moveTo(X(x), Y(y)) : g.lineTo(X(x), Y(y))));
      g.stroke();
    }
    if (s.points.length > 0) {
      g.fillRect(legendX, 8, 12, 3); g.fillStyle = "#1d2330"; g.textAlign = "left";
      g.globalAlpha = 1;
      g.fillText(s.label, legendX + 16, 13);
      legendX += 26 + g.measureText(s.label).width + 12;
    }
  }
  g.globalAlpha = 1;
}
