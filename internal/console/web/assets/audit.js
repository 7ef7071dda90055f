// 审计日志: who did what to which object, for staff, and a record's history on its page.
import { api, h, errorBox, loading, fmtDate } from './api.js';
import { KINDS, ROLES, STATUSES, REJECT_REASONS, label } from './labels.js';

const PAGE_SIZE = 50;
const FILTERS = ['subject', 'kind', 'id', 'from', 'to'];

// The kinds of object the log holds: records, and what staff and agents change besides.
export const AUDIT_KINDS = { ...KINDS, agents: '经纪人', matches: '匹配条目', keys: 'API 密钥', profiles: '权重方案', webhooks: '回调投递' };

const ACTIONS = {
  create: '新建', replace: '修改', delete: '删除', import: '批量导入',
  create_key: '创建密钥', revoke_key: '吊销密钥', profile: '发布权重方案',
  close: '截止关闭', takeup: '揭榜', redeliver: '重新投递',
};

// actionText names an action in Chinese: match:<status> is a move of a match-list entry.
export function actionText(action) {
  const [head, status] = action.split(':');
  if (head === 'match' && status) return `匹配状态改为「${label(STATUSES, status)}」`;
  return label(ACTIONS, action);
}

// actorText names "role" or "role:subject" as its role's name and the subject.
export function actorText(actor) {
  if (actor === 'system') return '系统';
  const i = actor.indexOf(':');
  const role = i < 0 ? actor : actor.slice(0, i);
  return ROLES[role] ? ROLES[role] + (i < 0 ? '' : ' ' + actor.slice(i + 1)) : actor;
}

function detailText(e) {
  if (e.detail === 'import') return '经批量导入';
  if (e.action === 'match:rejected') return label(REJECT_REASONS, e.detail);
  if (e.action === 'profile') {
    const m = /^version (\d+): ?(.*)$/.exec(e.detail || '');
    if (m) {
      const note = m[2].replace(/^rollback to version (\d+)$/, '回滚到第 $1 版');
      return `第 ${m[1]} 版` + (note ? `：${note}` : '');
    }
  }
  return e.detail || '';
}

function objectCell(e) {
  if (!e.id) return label(AUDIT_KINDS, e.kind || '');
  const text = `${label(AUDIT_KINDS, e.kind)} ${e.id}`;
  return KINDS[e.kind] ? h('a', { href: `#/record/${e.kind}/${encodeURIComponent(e.id)}` }, text) : text;
}

function table(items, withObject) {
  return h('table', { class: 'table audit' },
    h('thead', null, h('tr', null, ['时间', '操作人', '操作', withObject ? '对象' : null, '说明', '请求编号'].filter(Boolean).map((t) => h('th', null, t)))),
    h('tbody', null, items.map((e) => h('tr', { dataset: { seq: e.seq, action: e.action, kind: e.kind || '' } },
      h('td', null, fmtDate(e.at)), h('td', null, actorText(e.actor)), h('td', null, actionText(e.action)),
      withObject ? h('td', null, objectCell(e)) : null,
      h('td', null, detailText(e)), h('td', { class: 'muted' }, e.request_id || '—')))));
}

function go(params) {
  const clean = new URLSearchParams();
  for (const [k, v] of params) if (v) clean.set(k, v);
  location.hash = '#/audit?' + clean.toString();
}

export async function render(root, route) {
  const params = route.params;
  root.append(h('h1', null, '审计日志'),
    h('p', { class: 'muted' }, '每一次写入都在同一事务中记下操作人、操作和对象：记录写入成功就一定有它的审计条目。'));
  const form = h('form', { class: 'filters', id: 'audit-form' },
    h('input', { name: 'subject', value: params.get('subject') || '', placeholder: '操作人，如 admin 或 agent:agt-1' }),
    h('select', { name: 'kind', 'aria-label': '对象类型' }, h('option', { value: '' }, '全部对象'),
      Object.entries(AUDIT_KINDS).map(([k, t]) => h('option', { value: k, selected: k === params.get('kind') }, t))),
    h('input', { name: 'id', value: params.get('id') || '', placeholder: '对象编号（需选类型）' }),
    h('label', null, '从 ', h('input', { name: 'from', type: 'date', value: params.get('from') || '' })),
    h('label', null, '到 ', h('input', { name: 'to', type: 'date', value: params.get('to') || '' })),
    h('button', { type: 'submit', class: 'primary' }, '查询'),
    h('button', { type: 'button', onclick: () => go(new URLSearchParams()) }, '清除'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const k of FILTERS) p.set(k, form.elements[k].value.trim());
    go(p);
  });
  const list = h('div', { id: 'audit-log' }, loading());
  root.append(form, list);

  const page = Math.max(1, parseInt(params.get('page') || '1', 10) || 1);
  const q = new URLSearchParams({ page: String(page), size: String(PAGE_SIZE) });
  for (const k of FILTERS) if (params.get(k)) q.set(k, params.get(k));
  try {
    const { data } = await api(`/v1/audit?${q}`);
    const pages = Math.max(1, Math.ceil(data.total / PAGE_SIZE));
    list.replaceChildren(
      h('p', { class: 'summary' }, `共 ${data.total} 条 · 第 ${page}/${pages} 页`),
      data.items.length ? table(data.items, true) : h('div', { class: 'notice' }, '没有符合条件的审计条目。'),
      h('div', { class: 'pager' }, [[page - 1, '上一页'], [page + 1, '下一页']].map(([p, t]) => h('button', {
        type: 'button', disabled: p < 1 || p > pages,
        onclick: () => { const n = new URLSearchParams(params); n.set('page', String(p)); go(n); },
      }, t))));
  } catch (e) {
    list.replaceChildren(errorBox(e, '审计日志'));
  }
}

// history is the card of one record's changes, newest first, for its page.
export function history(kind, id) {
  const box = h('section', { class: 'card', id: 'record-history' }, h('h2', null, '变更记录'), loading());
  (async () => {
    try {
      const { data } = await api(`/v1/audit?kind=${kind}&id=${encodeURIComponent(id)}&size=20`);
      box.replaceChildren(...[h('h2', null, '变更记录'),
        data.items.length ? table(data.items, false) : h('p', { class: 'muted' }, '暂无变更记录（启动时载入的演示数据不记入审计日志）。'),
        data.total > data.items.length ? h('p', null, h('a', { href: `#/audit?kind=${kind}&id=${encodeURIComponent(id)}` }, `查看全部 ${data.total} 条`)) : null].filter(Boolean));
    } catch (e) {
      box.replaceChildren(h('h2', null, '变更记录'), errorBox(e, '变更记录'));
    }
  })();
  return box;
}
