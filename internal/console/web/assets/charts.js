// Charts drawn as inline SVG: component bars, horizontal bar charts, a funnel and a line chart.
import { s, fmtNum } from './api.js';
import { FEATURES, FEATURE_ORDER } from './labels.js';

// componentBars shows each score component in [0, 1] as a bar, in the features' order.
export function componentBars(components) {
  const row = 18;
  const labelW = 64;
  const barW = 150;
  const svg = s('svg', { class: 'components', viewBox: `0 0 ${labelW + barW + 40} ${FEATURE_ORDER.length * row}`, role: 'img', 'aria-label': '得分构成' });
  FEATURE_ORDER.forEach((f, i) => {
    const raw = components ? components[f] : undefined;
    const v = typeof raw === 'number' ? Math.max(0, Math.min(1, raw)) : 0;
    const y = i * row;
    svg.append(
      s('text', { x: 0, y: y + 13, class: 'label' }, FEATURES[f]),
      s('rect', { x: labelW, y: y + 4, width: barW, height: 10, rx: 2, class: 'track' }),
      s('rect', { x: labelW, y: y + 4, width: (barW * v).toFixed(1), height: 10, rx: 2, class: 'bar f-' + f }),
      s('text', { x: labelW + barW + 6, y: y + 13, class: 'value' }, typeof raw === 'number' ? fmtNum(raw) : '—'));
  });
  return svg;
}

// barChart draws rows of {label, value} as horizontal bars scaled to the largest.
export function barChart(rows, { unit = '', cls = '' } = {}) {
  const row = 24;
  const labelW = 150;
  const barW = 260;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const svg = s('svg', { class: 'chart bars ' + cls, viewBox: `0 0 ${labelW + barW + 70} ${Math.max(1, rows.length) * row}`, role: 'img' });
  rows.forEach((r, i) => {
    const y = i * row;
    svg.append(
      s('text', { x: labelW - 6, y: y + 16, class: 'label', 'text-anchor': 'end' }, truncate(r.label, 12)),
      s('rect', { x: labelW, y: y + 5, width: Math.max(1, (barW * r.value) / max).toFixed(1), height: 14, rx: 2, class: 'bar' }),
      s('text', { x: labelW + (barW * r.value) / max + 6, y: y + 16, class: 'value' }, fmtNum(r.value) + unit + (r.signed ? ` · 签约 ${r.signed}` : '')));
  });
  return svg;
}

// funnel draws steps of {label, value} centred, each with its conversion from the step before.
export function funnel(steps) {
  const row = 40;
  const w = 480;
  const max = Math.max(1, ...steps.map((st) => st.value));
  const svg = s('svg', { class: 'chart funnel', viewBox: `0 0 ${w + 150} ${steps.length * row}`, role: 'img', 'aria-label': '转化漏斗' });
  steps.forEach((st, i) => {
    const bw = Math.max(2, (w * st.value) / max);
    const y = i * row;
    svg.append(
      s('rect', { x: ((w - bw) / 2).toFixed(1), y: y + 4, width: bw.toFixed(1), height: row - 10, rx: 3, class: 'bar step-' + i }),
      s('text', { x: w / 2, y: y + row / 2 + 4, 'text-anchor': 'middle', class: 'inbar' }, `${st.label} ${st.value}`));
    if (st.conversion !== undefined && st.conversion !== null) {
      svg.append(s('text', { x: w + 10, y: y + row / 2 + 4, class: 'value' }, `转化 ${fmtNum(st.conversion * 100, 1)}%`));
    }
  });
  return svg;
}

// lineChart draws points of {label, value} in order, with the first and last labels on the axis.
export function lineChart(points) {
  const w = 600;
  const ht = 180;
  const pad = 30;
  const max = Math.max(1, ...points.map((p) => p.value));
  const x = (i) => pad + (points.length > 1 ? (i * (w - 2 * pad)) / (points.length - 1) : (w - 2 * pad) / 2);
  const y = (v) => ht - pad - (v * (ht - 2 * pad)) / max;
  const svg = s('svg', { class: 'chart line', viewBox: `0 0 ${w} ${ht}`, role: 'img', 'aria-label': '随时间的匹配数' });
  svg.append(
    s('line', { x1: pad, y1: ht - pad, x2: w - pad, y2: ht - pad, class: 'axis' }),
    s('text', { x: 4, y: pad, class: 'label' }, String(max)),
    s('polyline', { points: points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' '), class: 'stroke' }));
  points.forEach((p, i) => svg.append(s('circle', { cx: x(i).toFixed(1), cy: y(p.value).toFixed(1), r: 3, class: 'dot' }, s('title', null, `${p.label}: ${p.value}`))));
  if (points.length) {
    svg.append(s('text', { x: pad, y: ht - 8, class: 'label' }, points[0].label),
      s('text', { x: w - pad, y: ht - 8, class: 'label', 'text-anchor': 'end' }, points[points.length - 1].label));
  }
  return svg;
}

function truncate(text, n) {
  const t = String(text);
  return t.length > n ? t.slice(0, n - 1) + '…' : t;
}
