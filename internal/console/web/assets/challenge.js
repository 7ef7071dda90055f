// 揭榜挂帅: a demand's bounty and deadlines, its takeups (揭榜记录), and taking a challenge up.
// Dates are Beijing dates: a demand is open to the end of its deadline day, UTC+8.
import { api, h, errorBox, loading, fmtDate, toast, session, ApiError } from './api.js';
import { KINDS, SUPPLY_KINDS, label } from './labels.js';
import { actorText } from './audit.js';

// today is the date in Beijing, YYYY-MM-DD, as the server reads deadlines.
export function today() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

// dueDate is when a demand (or a reverse match, which carries the same fields) closes: the
// earlier of its deadline and its challenge's.
export function dueDate(d) {
  const dates = [d.deadline, d.challenge && d.challenge.deadline].filter(Boolean).sort();
  return dates[0] || '';
}

export function pastDue(d) {
  const due = dueDate(d);
  return !!due && due < today();
}

// closedByDeadline: closed by the server at its deadline, or past it before the next sweep.
function closedByDeadline(d) {
  return d.closed_reason === 'deadline' || (d.status !== 'closed' && d.status !== 'matched' && pastDue(d));
}

// demandStatus names a demand's status in Chinese, saying 已截止 when its deadline closed it.
export function demandStatus(d) {
  if (closedByDeadline(d)) return '已截止';
  return { open: '征集中', matched: '已对接', closed: '已关闭' }[d.status] || d.status || '—';
}

// challengeLine shows a demand's bounty and deadline: 揭榜挂帅 · 榜额 500 万元 · 截止 2027-03-31,
// and 已截止 when the date has passed. Null for a demand with neither.
export function challengeLine(d) {
  const due = dueDate(d);
  if (!d.challenge && !due) return null;
  const ch = d.challenge || {};
  return h('p', { class: 'challenge-line', dataset: { due, lapsed: String(closedByDeadline(d)) } },
    d.challenge ? h('span', { class: 'badge challenge' }, '揭榜挂帅') : null,
    typeof ch.bounty === 'number' ? h('span', { class: 'bounty' }, `榜额 ${ch.bounty} 万元`) : null,
    due ? h('span', { class: 'due' }, `截止 ${due}`) : null,
    closedByDeadline(d) ? h('span', { class: 'badge lapsed' }, '已截止') : null);
}

// takeable: an open challenge before its deadline, and a caller who may take it up.
function takeable(d) {
  return !!d.challenge && (d.status === 'open' || !d.status) && !pastDue(d) && ['agent', 'admin'].includes(session.role);
}

function refusal(e) {
  if (e instanceof ApiError && e.status === 409) return `不能揭榜：${e.message}`;
  if (e instanceof ApiError && e.status === 400) return `揭榜信息有误：${e.message}${e.field ? `（字段 ${e.field}）` : ''}`;
  return `揭榜失败：${e.message}`;
}

async function postTakeup(demandID, body) {
  const { data } = await api(`/v1/demands/${encodeURIComponent(demandID)}/takeups`, { method: 'POST', body });
  toast(`已揭榜：${data.supply_title || data.supply_id}`);
  return data;
}

function takeupItem(t) {
  return h('li', { class: 'takeup', dataset: { id: t.id, supply: `${t.supply_kind}/${t.supply_id}` } },
    h('span', { class: 'badge ' + t.supply_kind }, label(KINDS, t.supply_kind)), ' ',
    h('a', { href: `#/record/${t.supply_kind}/${encodeURIComponent(t.supply_id)}` }, t.supply_title || t.supply_id),
    t.supply_org ? h('span', { class: 'muted' }, ` · ${t.supply_org}`) : null,
    h('span', { class: 'muted' }, ` · ${fmtDate(t.created_at)} · ${actorText(t.by)}`),
    t.note ? h('p', { class: 'note' }, t.note) : null);
}

// takeupForm lets an agent or staff take the challenge up for a supply record they pick.
function takeupForm(d, reload) {
  const kind = h('select', { name: 'supply_kind', 'aria-label': '成果类型' }, SUPPLY_KINDS.map((k) => h('option', { value: k }, KINDS[k])));
  const id = h('input', { name: 'supply_id', placeholder: '成果、专利或专家的编号，如 ach-001', required: true });
  const note = h('input', { name: 'note', placeholder: '揭榜说明（可选）', class: 'grow' });
  const form = h('form', { class: 'row wrap takeup-form', id: 'takeup-form' }, kind, id, note, h('button', { type: 'submit', class: 'primary' }, '揭榜'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await postTakeup(d.id, { supply_kind: kind.value, supply_id: id.value.trim(), note: note.value.trim() });
      reload();
    } catch (e) {
      toast(refusal(e), 'error');
    }
  });
  return form;
}

// takeupsSection is a challenge's 揭榜记录, for the enterprise that filed it, agents and staff,
// with the form to take it up for agents and staff while it is open.
export function takeupsSection(d) {
  const box = h('section', { class: 'card takeups', id: 'takeups' }, h('h2', null, '揭榜记录'), loading());
  const load = async () => {
    try {
      const { data } = await api(`/v1/demands/${encodeURIComponent(d.id)}/takeups`);
      const items = data.items || [];
      const parts = [h('h2', null, `揭榜记录（${items.length}）`),
        items.length ? h('ul', { class: 'plain', id: 'takeup-list' }, items.map(takeupItem)) : h('p', { class: 'muted', id: 'takeup-list' }, '还没有人揭榜。'),
        takeable(d) ? takeupForm(d, load) : null,
        closedByDeadline(d) ? h('p', { class: 'muted' }, '已截止，不能再揭榜。') : null];
      box.replaceChildren(...parts.filter(Boolean));
    } catch (e) {
      box.replaceChildren(h('h2', null, '揭榜记录'), errorBox(e, '揭榜记录'));
    }
  };
  load();
  return box;
}

// takeupButton takes up, for supply record kind/id, the challenge a reverse match lists.
export function takeupButton(m, kind, id) {
  if (!takeable({ ...m, status: 'open' })) return null;
  const note = h('input', { name: 'note', placeholder: '揭榜说明（可选）', hidden: true });
  const wrap = h('span', { class: 'row takeup-inline' });
  const button = h('button', { type: 'button', class: 'takeup', dataset: { demand: m.id } }, '揭榜');
  button.addEventListener('click', async () => {
    if (note.hidden) { note.hidden = false; button.textContent = '确认揭榜'; note.focus(); return; }
    try {
      await postTakeup(m.id, { supply_kind: kind, supply_id: id, note: note.value.trim() });
      wrap.replaceChildren(h('span', { class: 'badge taken', dataset: { demand: m.id } }, '已揭榜'));
    } catch (e) {
      toast(refusal(e), 'error');
    }
  });
  wrap.append(note, button);
  return wrap;
}
