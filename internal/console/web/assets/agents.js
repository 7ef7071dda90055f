// 经纪人工作台: an agent's match list with status actions, rejection reasons, notes and export.
// It is built on the agents API of issue 5; where this server lacks it, the page says so.
import { api, h, errorBox, loading, fmtNum, fmtDate, toast, session, saveBlob, unavailable, ApiError } from './api.js';
import { KINDS, STATUSES, STATUS_ORDER, NEXT, REJECT_REASONS, label, regionName } from './labels.js';
import { actorText } from './audit.js';
import { failedDeliveries } from './deliveries.js';

const PAGE_SIZE = 20;

function go(agent, params) {
  location.hash = `#/agents/${encodeURIComponent(agent)}?${params}`;
}

export async function render(root, route) {
  root.append(h('h1', null, '经纪人工作台'));
  const body = h('div', null, loading());
  root.append(body);
  if (session.role === 'admin') root.append(failedDeliveries());
  let agent = route.parts[0] || (session.role === 'agent' ? session.subject : '');
  let agents = [];
  if (session.role === 'admin') {
    try {
      const { data } = await api('/v1/agents?page=1&size=100');
      agents = data.items || data.agents || [];
    } catch (e) {
      body.replaceChildren(e instanceof ApiError && e.routeMissing ? unavailable('经纪人匹配单') : errorBox(e, '经纪人列表'));
      return;
    }
    if (!agent && agents.length) agent = agents[0].id;
  }
  if (!agent) {
    body.replaceChildren(h('div', { class: 'notice' }, '还没有经纪人。平台管理员可通过 POST /v1/agents 登记经纪人。'));
    return;
  }
  const status = route.params.get('status') || '';
  const page = Math.max(1, parseInt(route.params.get('page') || '1', 10) || 1);
  const picker = agents.length ? h('label', null, '经纪人 ', h('select', { id: 'agent-select', onchange: (ev) => go(ev.target.value, '') },
    agents.map((a) => h('option', { value: a.id, selected: a.id === agent }, `${a.name || a.id}（${a.id}）`)))) : h('strong', null, agent);
  const tabs = h('div', { class: 'tabs', role: 'tablist' }, [['', '全部'], ...STATUS_ORDER.map((s) => [s, STATUSES[s]])].map(([s, t]) =>
    h('a', { href: `#/agents/${encodeURIComponent(agent)}?status=${s}`, class: s === status ? 'on' : '', dataset: { status: s } }, t)));
  const exports = h('span', { class: 'row' }, ['xlsx', 'csv'].map((f) => h('button', { type: 'button', dataset: { format: f }, onclick: () => exportList(agent, status, f) }, `导出 ${f.toUpperCase()}`)));
  const list = h('div', { id: 'agent-matches' }, loading());
  body.replaceChildren(h('div', { class: 'row wrap toolbar' }, picker, exports), tabs, list);

  const q = new URLSearchParams({ page: String(page), size: String(PAGE_SIZE) });
  if (status) q.set('status', status);
  try {
    const { data } = await api(`/v1/agents/${encodeURIComponent(agent)}/matches?${q}`);
    const items = data.items || [];
    const pages = Math.max(1, Math.ceil((data.total || items.length) / PAGE_SIZE));
    list.replaceChildren(
      h('p', { class: 'summary' }, `共 ${data.total ?? items.length} 条 · 第 ${page}/${pages} 页`),
      items.length ? h('ol', { class: 'plain' }, items.map((m) => entryCard(m))) : h('div', { class: 'notice' }, '这个状态下没有匹配。'),
      h('div', { class: 'pager' }, [[page - 1, '上一页'], [page + 1, '下一页']].map(([p, t]) => h('button', {
        type: 'button', disabled: p < 1 || p > pages, onclick: () => go(agent, new URLSearchParams({ status, page: String(p) })),
      }, t))));
    fillTitles(list);
  } catch (e) {
    list.replaceChildren(e instanceof ApiError && e.routeMissing ? unavailable('经纪人匹配单') : errorBox(e, '匹配单'));
  }
}

function entryCard(m) {
  const card = h('li', { class: 'card entry', dataset: { id: m.id, status: m.status } });
  drawEntry(card, m);
  return card;
}

function drawEntry(card, m) {
  card.dataset.status = m.status;
  card.replaceChildren(
    h('div', { class: 'row wrap' },
      h('span', { class: 'badge status-' + m.status, dataset: { role: 'status' } }, label(STATUSES, m.status)),
      h('span', null, '需求 ', h('a', { href: `#/record/demands/${encodeURIComponent(m.demand_id)}`, dataset: { title: `demands/${m.demand_id}` } }, m.demand_title || m.demand_id)),
      h('span', null, ' ↔ ', label(KINDS, m.supply_kind), ' ', h('a', { href: `#/record/${m.supply_kind}/${encodeURIComponent(m.supply_id)}`, dataset: { title: `${m.supply_kind}/${m.supply_id}` } }, m.supply_title || m.supply_id)),
      h('span', { class: 'muted' }, `得分 ${fmtNum(m.score, 3)} · ${m.profile || ''}${m.profile_version ? ' v' + m.profile_version : ''}`)),
    m.reasons && m.reasons.length ? h('p', { class: 'reasons' }, m.reasons.join('；')) : null,
    h('p', { class: 'parties muted', dataset: { demand: m.demand_id, supply: `${m.supply_kind}/${m.supply_id}` } }),
    actions(card, m),
    m.history && m.history.length ? h('details', null, h('summary', null, `处理记录（${m.history.length}）`), h('ul', { class: 'plain small' }, m.history.map((x) =>
      h('li', null, `${fmtDate(x.at || x.time || x.created_at)} · ${actorText(x.by || x.actor || '—')} · ${label(STATUSES, x.status || x.to)}`,
        x.reason ? ` · ${label(REJECT_REASONS, x.reason)}` : '', x.deal_amount ? ` · ${x.deal_amount} 万元` : '', x.note ? ` · ${x.note}` : '')))) : null);
}

// actions offers only the transitions the workflow allows from the entry's status.
function actions(card, m) {
  const next = NEXT[m.status] || [];
  if (m.status === 'withdrawn') return h('p', { class: 'muted' }, '需求已删除或关闭，此推荐已撤回，不能再流转');
  if (!next.length) return m.status === 'signed' && m.deal_amount ? h('p', { class: 'muted' }, `成交 ${m.deal_amount} 万元`) : null;
  const reason = h('select', { name: 'reason', hidden: true }, Object.entries(REJECT_REASONS).map(([v, t]) => h('option', { value: v }, t)));
  const amount = h('input', { name: 'deal_amount', type: 'number', min: 0, step: 0.01, placeholder: '成交金额（万元）', hidden: true });
  const note = h('input', { name: 'note', placeholder: '备注（可选）', class: 'grow' });
  const target = h('select', { name: 'status', onchange: () => { reason.hidden = target.value !== 'rejected'; amount.hidden = target.value !== 'signed'; } },
    next.map((s) => h('option', { value: s }, `→ ${STATUSES[s]}`)));
  reason.hidden = target.value !== 'rejected';
  amount.hidden = target.value !== 'signed';
  const form = h('form', { class: 'row wrap actions' }, target, reason, amount, note, h('button', { type: 'submit', class: 'primary' }, '更新状态'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { status: target.value };
    if (body.status === 'rejected') body.reason = reason.value;
    if (body.status === 'signed') {
      if (amount.value === '') { toast('签约需要填写成交金额', 'warn'); amount.focus(); return; }
      body.deal_amount = Number(amount.value);
    }
    if (note.value.trim()) body.note = note.value.trim();
    try {
      const { data } = await api(`/v1/matches/${encodeURIComponent(m.id)}`, { method: 'PATCH', body });
      toast(`已更新为「${label(STATUSES, data.status || body.status)}」`);
      drawEntry(card, { ...m, ...data });
      fillTitles(card);
    } catch (e) {
      toast(e instanceof ApiError && e.status === 409 ? `不能这样流转：${e.message}` : `更新失败：${e.message}`, 'error');
    }
  });
  return form;
}

// fillTitles replaces ids with titles for entries whose API answer carried none, and writes
// who is on each side: the demand's enterprise, contact (agents see it) and region, the
// supply's organisation and region.
async function fillTitles(root) {
  const links = [...root.querySelectorAll('a[data-title]')];
  const keys = [...new Set(links.map((a) => a.dataset.title))];
  const recs = new Map();
  await Promise.all(keys.map(async (key) => {
    const [kind, ...rest] = key.split('/');
    try {
      const { data } = await api(`/v1/${kind}/${encodeURIComponent(rest.join('/'))}`);
      recs.set(key, data);
    } catch {
      // A deleted record keeps showing its id.
    }
  }));
  for (const a of links) {
    const r = recs.get(a.dataset.title);
    if (r && a.textContent === a.dataset.title.split('/').slice(1).join('/')) a.textContent = r.title;
  }
  for (const p of root.querySelectorAll('p.parties')) {
    const d = recs.get(`demands/${p.dataset.demand}`);
    const s = recs.get(p.dataset.supply);
    const c = (d && d.contact) || {};
    p.replaceChildren(
      d ? h('span', { class: 'party', dataset: { side: 'demand' } }, `需求方：${d.enterprise || '—'} · ${regionName(d.region)}` +
        (c.name || c.phone ? ` · 联系人 ${[c.name, c.phone, c.email].filter(Boolean).join(' ')}` : '')) : null,
      d && s ? ' ｜ ' : null,
      s ? h('span', { class: 'party', dataset: { side: 'supply' } }, `供给方：${s.org || s.name || '—'} · ${regionName(s.region)}`) : null);
  }
}

async function exportList(agent, status, format) {
  const q = new URLSearchParams({ format });
  if (status) q.set('status', status);
  try {
    const { data } = await api(`/v1/agents/${encodeURIComponent(agent)}/matches?${q}`, { blob: true });
    saveBlob(data, `匹配单-${agent}.${format}`);
  } catch (e) {
    toast(e instanceof ApiError && e.routeMissing ? '导出接口尚未开放' : `导出失败：${e.message}`, 'error');
  }
}
