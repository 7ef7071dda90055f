// 数据看板: the match funnel and breakdowns by field, region and agent, drawn from GET /v1/stats
// (issue 5): {total, funnel: {counts, reached, conversion}, by_field|by_region|by_agent: {key:
// {entries, signed, rejected, signed_amount}}, signed_amount, matches_per_demand: {demands, mean,
// distribution}, per_day: [{date, matches}]}. The readers also take plain counts.
import { api, h, errorBox, loading, fmtNum, unavailable, ApiError } from './api.js';
import { STATUSES, label, regionName } from './labels.js';
import { barChart, funnel, lineChart } from './charts.js';

const WINDOWS = [['7', '近 7 天'], ['30', '近 30 天'], ['90', '近 90 天'], ['', '全部']];
const PIPELINE = ['new', 'contacted', 'negotiating', 'signed'];

function num(x) {
  if (typeof x === 'number') return x;
  if (x && typeof x === 'object') return num(x.entries ?? x.count ?? x.matches ?? x.total ?? x.mean ?? x.value ?? 0);
  return Number(x) || 0;
}

// rows turns {key: n} or [{key|name|…, count|…}] into [{label, value}], largest first.
export function rows(v, name = (k) => k) {
  const named = name;
  // The API's placeholders for a missing field or region and for entries no agent holds.
  name = (k) => ({ '(none)': '未填写', '(unassigned)': '未分配' }[k] || named(k));
  let out = [];
  if (Array.isArray(v)) {
    out = v.map((x) => ({ label: name(String(x.key ?? x.field ?? x.region ?? x.agent_id ?? x.agent ?? x.name ?? x.value ?? '')), value: num(x.count ?? x.matches ?? x.total ?? 0) }));
  } else if (v && typeof v === 'object') {
    out = Object.entries(v).map(([k, x]) => ({ label: name(k), value: num(x), signed: x && typeof x === 'object' ? x.signed : undefined }));
  }
  return out.sort((a, b) => b.value - a.value).slice(0, 12);
}

// funnelSteps uses how many entries reached each stage (or went further), so the bars narrow
// and the conversion between stages means something; from counts by current status alone it
// works that out, counting a rejection as having reached only "new".
export function funnelSteps(f) {
  f = f || {};
  const counts = f.counts || f;
  let reached = f.reached;
  if (!reached) {
    reached = {};
    PIPELINE.forEach((s, i) => { reached[s] = PIPELINE.slice(i).reduce((a, t) => a + num(counts[t]), 0) + (i === 0 ? num(counts.rejected) : 0); });
  }
  const conv = f.conversion || {};
  return PIPELINE.map((s, i) => {
    const prev = PIPELINE[i - 1];
    const given = prev ? conv[`${prev}_to_${s}`] : undefined;
    return {
      label: STATUSES[s], value: num(reached[s]),
      conversion: i === 0 ? null : typeof given === 'number' ? given : num(reached[prev]) ? num(reached[s]) / num(reached[prev]) : 0,
    };
  });
}

function timeRows(v) {
  if (Array.isArray(v)) return v.map((x) => ({ label: String(x.date ?? x.day ?? x.period ?? x.bucket ?? x.key ?? ''), value: num(x.count ?? x.matches ?? x.total ?? 0) }));
  return Object.entries(v || {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => ({ label: k, value: num(x) }));
}

export async function render(root, route) {
  const days = route.params.get('days') ?? '30';
  root.append(h('h1', null, '数据看板'), h('div', { class: 'tabs' }, WINDOWS.map(([d, t]) =>
    h('a', { href: `#/dashboard?days=${d}`, class: d === days ? 'on' : '' }, t))));
  const body = h('div', { id: 'dashboard' }, loading());
  root.append(body);
  const q = new URLSearchParams();
  if (days) q.set('from', new Date(Date.now() - Number(days) * 86400e3).toISOString().slice(0, 10));
  try {
    const { data } = await api('/v1/stats?' + q);
    const funnelData = data.funnel || {};
    const rejected = num((funnelData.counts || funnelData).rejected);
    const overall = (funnelData.conversion || {}).overall;
    const perDemand = data.matches_per_demand || {};
    const dist = perDemand.distribution ? ['1', '2-3', '4-5', '6-10', '11+'].map((k) => ({ label: `${k} 条`, value: num(perDemand.distribution[k]) })) : [];
    const card = (title, chart, id) => h('div', { class: 'card chart-card', id }, h('h2', null, title), chart);
    const byField = rows(data.by_field);
    const byRegion = rows(data.by_region, regionName);
    // Agents by name: the stats count them by id.
    const names = new Map();
    try {
      const { data: ag } = await api('/v1/agents?page=1&size=100');
      for (const a of ag.items || []) names.set(a.id, a.name);
    } catch { /* ids then */ }
    const byAgent = rows(data.by_agent, (id) => names.get(id) || id);
    const overTime = timeRows(data.per_day ?? data.over_time);
    body.replaceChildren(
      h('div', { class: 'card kpis' },
        h('div', { class: 'kpi' }, h('span', null, '签约金额'), h('strong', { id: 'signed-amount' }, `${fmtNum(num(data.signed_amount))} 万元`)),
        h('div', { class: 'kpi' }, h('span', null, '匹配单条目'), h('strong', { id: 'total-entries' }, String(num(data.total)))),
        h('div', { class: 'kpi' }, h('span', null, '签约转化'), h('strong', null, typeof overall === 'number' ? `${fmtNum(overall * 100, 1)}%` : '—')),
        h('div', { class: 'kpi' }, h('span', null, '每个需求的匹配数'), h('strong', null, fmtNum(num(perDemand), 1))),
        h('div', { class: 'kpi' }, h('span', null, label(STATUSES, 'rejected')), h('strong', null, String(rejected)))),
      h('div', { class: 'grid' },
        card('转化漏斗', funnel(funnelSteps(data.funnel)), 'chart-funnel'),
        card('匹配数随时间', overTime.length ? lineChart(overTime) : h('p', { class: 'muted' }, '暂无数据'), 'chart-time'),
        card('按行业领域', byField.length ? barChart(byField) : h('p', { class: 'muted' }, '暂无数据'), 'chart-field'),
        card('按地区', byRegion.length ? barChart(byRegion) : h('p', { class: 'muted' }, '暂无数据'), 'chart-region'),
        card('按经纪人', byAgent.length ? barChart(byAgent) : h('p', { class: 'muted' }, '暂无数据'), 'chart-agent'),
        card('每个需求的匹配数分布', dist.length ? barChart(dist) : h('p', { class: 'muted' }, '暂无数据'), 'chart-per-demand')));
  } catch (e) {
    body.replaceChildren(e instanceof ApiError && e.routeMissing ? unavailable('数据看板') : errorBox(e, '统计'));
  }
}
