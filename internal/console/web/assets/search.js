// 搜索: full-text search of supply with filters and facets, and the record page.
import { api, h, highlight, errorBox, loading, fmtNum, fmtDate, session } from './api.js';
import { KINDS, SUPPLY_KINDS, MODES, ORG_TYPES, INACTIVE, RECORD_STATUSES, LEGAL_STATUSES, PATENT_TYPES, cacheText, label, regionName, fields, regions } from './labels.js';
import { allowed } from './app.js';
import { history } from './audit.js';
import { challengeLine, demandStatus, takeupsSection, takeupButton } from './challenge.js';

const FILTERS = ['q', 'kind', 'field', 'region', 'trl_min', 'mode', 'include_inactive'];
const PAGE_SIZE = 10;

function go(params) {
  const clean = new URLSearchParams();
  for (const [k, v] of params) if (v) clean.set(k, v);
  location.hash = '#/search?' + clean.toString();
}

function select(name, value, options, placeholder) {
  return h('select', { name, 'aria-label': placeholder },
    h('option', { value: '' }, placeholder),
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

function searchForm(params) {
  const form = h('form', { class: 'filters', id: 'search-form', role: 'search' },
    h('input', { name: 'q', type: 'search', value: params.get('q') || '', placeholder: '输入技术关键词，如：锂电池 电解质', class: 'grow' }),
    select('kind', params.get('kind') || '', SUPPLY_KINDS.map((k) => [k, KINDS[k]]), '全部类型'),
    h('input', { name: 'field', list: 'field-list', value: params.get('field') || '', placeholder: '行业领域' }),
    h('datalist', { id: 'field-list' }, fields().map((f) => h('option', { value: f }))),
    select('region', params.get('region') || '', regions().map((r) => [r.code, r.name]), '全部地区'),
    select('trl_min', params.get('trl_min') || '', [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => [String(n), `TRL ≥ ${n}`]), '成熟度不限'),
    select('mode', params.get('mode') || '', Object.entries(MODES), '转化方式不限'),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'include_inactive', value: 'true', checked: params.get('include_inactive') === 'true' }), '含已关闭和失效专利'),
    h('button', { type: 'submit', class: 'primary' }, '搜索'),
    h('button', { type: 'button', onclick: () => go(new URLSearchParams({ q: form.q.value })) }, '清除筛选'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const k of FILTERS) p.set(k, k === 'include_inactive' ? (form.elements[k].checked ? 'true' : '') : form.elements[k].value.trim());
    go(p);
  });
  return form;
}

const FACETS = [
  ['kind', '类型', 'kind', (v) => label(KINDS, v)],
  ['field', '行业领域', 'field', (v) => v],
  ['region', '地区', 'region', regionName],
  ['trl', '成熟度', 'trl_min', (v) => `TRL ${v}`],
];

function facetPanel(facets, params) {
  const panel = h('aside', { class: 'facets', 'aria-label': '分面' });
  for (const [name, title, param, text] of FACETS) {
    const counts = (facets && facets[name]) || [];
    if (!counts.length) continue;
    panel.append(h('h3', null, title), h('ul', null, counts.map((c) => {
      const on = params.get(param) === String(c.value);
      return h('li', null, h('button', {
        type: 'button', class: 'facet' + (on ? ' on' : ''), dataset: { facet: name, value: c.value },
        onclick: () => { const p = new URLSearchParams(params); if (on) p.delete(param); else p.set(param, c.value); p.delete('page'); go(p); },
      }, h('span', null, text(c.value)), h('span', { class: 'count' }, String(c.count))));
    })));
  }
  return panel;
}

function metaLine(item) {
  const bits = [];
  if (item.org) bits.push(item.org);
  if (item.region) bits.push(regionName(item.region));
  if (item.trl) bits.push(`TRL ${item.trl}`);
  if (item.transfer_modes && item.transfer_modes.length) bits.push(item.transfer_modes.map((m) => label(MODES, m)).join('/'));
  if (item.titles && item.titles.length) bits.push(item.titles.join('、'));
  return h('p', { class: 'meta' }, bits.join(' · '));
}

// HIT_PARTS name the parts of a record a hit's highlights come from, besides title and summary.
const HIT_PARTS = {
  keywords: '关键词', fields: '领域', org: '单位', applicants: '申请人', inventors: '发明人', ipc: 'IPC',
  titles: '职称', research_areas: '研究方向', enterprise: '企业', linked: '关联成果与专利',
};

// partLines show why a hit was found where its title and summary do not say it.
function partLines(hl) {
  const lines = Object.entries(HIT_PARTS).filter(([k]) => hl[k] && hl[k].length)
    .map(([k, t]) => h('span', { class: 'frag part', dataset: { part: k } }, `${t}：`, hl[k].map((f, i) => [i ? '、' : '', highlight(f)])));
  return lines.length ? h('p', { class: 'fragments parts' }, lines) : null;
}

export function hitCard(hit) {
  const item = hit.item || {};
  const hl = hit.highlights || {};
  const frags = [...(hl.title || []), ...(hl.summary || [])];
  return h('article', { class: 'hit card', dataset: { kind: hit.kind, id: hit.id } },
    h('h3', null, h('span', { class: 'badge ' + hit.kind }, label(KINDS, hit.kind)), ' ',
      h('a', { href: `#/record/${hit.kind}/${encodeURIComponent(hit.id)}`, class: 'hit-title' }, hit.title || hit.id),
      hit.inactive ? [' ', h('span', { class: 'badge inactive', dataset: { inactive: hit.inactive } }, label(INACTIVE, hit.inactive))] : null),
    metaLine(item),
    frags.length ? h('p', { class: 'fragments' }, frags.slice(0, 3).map((f) => h('span', { class: 'frag' }, highlight(f)))) :
      item.summary ? h('p', { class: 'fragments' }, item.summary.slice(0, 120) + (item.summary.length > 120 ? '…' : '')) : null,
    partLines(hl),
    h('p', { class: 'score muted' }, `相关度 ${fmtNum(hit.score, 3)}`));
}

export async function render(root, route) {
  const params = route.params;
  const results = h('div', { class: 'search-layout', id: 'search-results' }, loading());
  root.append(h('h1', null, '搜索科技成果、专利与专家'), searchForm(params), results);
  const page = Math.max(1, parseInt(params.get('page') || '1', 10) || 1);
  const q = new URLSearchParams();
  for (const k of FILTERS) if (params.get(k)) q.set(k, params.get(k));
  q.set('page', String(page));
  q.set('size', String(PAGE_SIZE));
  try {
    const { data, headers } = await api('/v1/search?' + q.toString());
    const pages = Math.max(1, Math.ceil(data.total / PAGE_SIZE));
    const nav = (p, text) => h('button', {
      type: 'button', disabled: p < 1 || p > pages,
      onclick: () => { const n = new URLSearchParams(params); n.set('page', String(p)); go(n); },
    }, text);
    results.dataset.q = params.get('q') || '';
    results.replaceChildren(
      facetPanel(data.facets, params),
      h('div', { class: 'results' },
        h('p', { class: 'summary' }, `共 ${data.total} 条结果`, h('span', { class: 'muted' }, ` · 第 ${page}/${pages} 页 · 缓存${cacheText(headers.get('X-Cache'))}`)),
        data.hits.length ? data.hits.map(hitCard) : h('div', { class: 'notice' }, '没有找到结果，试试更少的关键词或放宽筛选。'),
        h('div', { class: 'pager' }, nav(page - 1, '上一页'), nav(page + 1, '下一页'))));
  } catch (e) {
    results.replaceChildren(errorBox(e, '搜索'));
  }
}

const FIELD_LABELS = [
  ['summary', '简介'], ['description', '需求描述'], ['keywords', '关键词'], ['fields', '行业领域'], ['region', '地区'],
  ['org', '单位'], ['org_type', '单位类型'], ['enterprise', '企业'], ['trl', '技术成熟度'], ['min_trl', '最低成熟度'],
  ['transfer_modes', '转化方式'], ['accept_modes', '可接受方式'], ['price', '报价（万元）'], ['budget', '预算（万元）'],
  ['market', '市场信号'], ['patent_no', '专利号'], ['patent_type', '专利类型'], ['legal_status', '法律状态'], ['ipc', 'IPC'],
  ['applicants', '申请人'], ['inventors', '发明人'], ['filed_at', '申请日'], ['granted_at', '授权日'], ['open_license', '开放许可'],
  ['license_fee', '许可费（万元/年）'], ['titles', '职称'], ['research_areas', '研究方向'], ['available_for', '合作方式'],
  ['deadline', '截止日期'], ['challenge', '揭榜挂帅'], ['status', '状态'], ['updated_at', '更新时间'],
];

function show(key, v) {
  if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) return null;
  switch (key) {
    case 'region': return regionName(v);
    case 'org_type': return label(ORG_TYPES, v);
    case 'transfer_modes': case 'accept_modes': return v.map((m) => label(MODES, m)).join('、');
    case 'price': case 'budget': return v.min === undefined && v.max === undefined ? '面议' : `${v.min ?? '?'} – ${v.max ?? '?'}`;
    case 'market': return `投资人关注 ${v.investor_interest ?? 0} · 成交 ${v.deals ?? 0}`;
    case 'challenge': return `榜额 ${v.bounty ?? '—'} 万元，揭榜截止 ${v.deadline || '—'}`;
    case 'open_license': return v ? '是' : '否';
    case 'status': return label(RECORD_STATUSES, v);
    case 'legal_status': return label(LEGAL_STATUSES, v);
    case 'patent_type': return label(PATENT_TYPES, v);
    case 'updated_at': return fmtDate(v);
  }
  return Array.isArray(v) ? v.join('、') : String(v);
}

export async function renderRecord(root, route) {
  const [kind, id] = route.parts;
  root.append(h('p', null, h('a', { href: '#/search', onclick: (ev) => { ev.preventDefault(); history.back(); } }, '← 返回')));
  if (!KINDS[kind] || !id) {
    root.append(h('div', { class: 'notice' }, '链接不完整。'));
    return;
  }
  const body = h('div', null, loading());
  root.append(body);
  try {
    const { data: rec } = await api(`/v1/${kind}/${encodeURIComponent(id)}`);
    const rows = FIELD_LABELS.map(([k, t]) => [t, kind === 'demands' && k === 'status' ? demandStatus(rec) : show(k, rec[k])]).filter(([, v]) => v !== null);
    const c = rec.contact || {};
    const masked = !['admin', 'agent'].includes(session.role);
    body.replaceChildren(h('article', { class: 'record card', dataset: { kind, id } },
      h('h1', null, h('span', { class: 'badge ' + kind }, label(KINDS, kind)), ' ', rec.title),
      kind === 'demands' ? challengeLine(rec) : null,
      h('dl', { class: 'fields' }, rows.map(([t, v]) => [h('dt', null, t), h('dd', null, v)])),
      h('section', { class: 'contact' }, h('h2', null, '联系方式'),
        rec.contact ? h('p', { id: 'contact' }, [c.name, c.phone, c.email].filter(Boolean).join(' · ')) : h('p', { class: 'muted' }, '未提供'),
        masked ? h('p', { class: 'muted' }, '联系方式已脱敏；技术经纪人或平台管理员登录后可见完整信息。') : null)));
    if (allowed('audit')) body.append(history(kind, id));
    if (kind === 'demands') {
      if (rec.challenge) body.append(takeupsSection(rec));
      if (allowed('match')) body.append(h('p', null, h('a', { class: 'button primary', href: `#/match/${encodeURIComponent(id)}` }, '查看该需求的匹配结果')));
      return;
    }
    const reverse = h('section', { class: 'card' }, h('h2', null, '适配的企业需求'),
      h('button', { type: 'button', id: 'find-demands', onclick: () => loadReverse(kind, id, reverse) }, '查找适配的需求'));
    body.append(reverse);
  } catch (e) {
    body.replaceChildren(errorBox(e, '记录'));
  }
}

async function loadReverse(kind, id, box) {
  box.replaceChildren(h('h2', null, '适配的企业需求'), loading());
  try {
    const { data } = await api(`/v1/${kind}/${encodeURIComponent(id)}/demands?limit=10`);
    box.replaceChildren(h('h2', null, '适配的企业需求'), data.matches.length ? h('ol', { class: 'plain' }, data.matches.map((m) =>
      h('li', { class: 'reverse-match', dataset: { id: m.id } }, h('a', { href: `#/record/demands/${encodeURIComponent(m.id)}` }, m.title), h('span', { class: 'muted' }, ` · 综合得分 ${fmtNum(m.score)}`),
        challengeLine(m), takeupButton(m, kind, id),
        h('p', { class: 'reasons' }, (m.reasons || []).join('；'))))) : h('p', { class: 'muted' }, '暂无适配的开放需求。'));
  } catch (e) {
    box.replaceChildren(h('h2', null, '适配的企业需求'), errorBox(e, '反向匹配'));
  }
}
