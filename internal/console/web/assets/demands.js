// 我的需求: an enterprise publishes and manages its own demands (staff see every demand):
// the form with every field of a demand, 揭榜挂帅 included, edit, close or reopen, and the
// way to its match list.
import { api, h, errorBox, loading, fmtDate, toast, session, ApiError } from './api.js';
import { MODES, RECORD_STATUSES, label, regionName, fields, regions } from './labels.js';

const PAGE_SIZE = 20;

const list = (s) => String(s || '').split(/[,，、;；\s]+/).map((x) => x.trim()).filter(Boolean);

function failed(what, e) {
  toast(`${what}失败：${e instanceof ApiError ? e.message + (e.field ? `（字段 ${e.field}）` : '') : e.message}`, 'error');
}

// deadlineText says when a demand or challenge closes, and whether that has passed.
export function deadlineText(d) {
  if (!d) return '';
  const today = new Date().toISOString().slice(0, 10);
  return d < today ? `已截止（${d}）` : `截止 ${d}`;
}

export async function render(root, route) {
  const page = Math.max(1, parseInt(route.params.get('page') || '1', 10) || 1);
  const editor = h('div', { id: 'demand-editor' });
  const table = h('div', { id: 'demand-table' }, loading());
  root.append(h('h1', null, session.role === 'enterprise' ? `我的需求 · ${session.subject}` : '企业需求'),
    h('div', { class: 'row toolbar' }, h('button', { type: 'button', class: 'primary', id: 'demand-new', onclick: () => editDemand(editor, null, reload) }, '发布需求')),
    editor, table);
  if (route.parts[0]) {
    try {
      const { data } = await api(`/v1/demands/${encodeURIComponent(route.parts[0])}`);
      editDemand(editor, data, reload);
    } catch (e) { editor.replaceChildren(errorBox(e, '需求')); }
  }

  async function reload() {
    try {
      const { data } = await api(`/v1/demands?page=${page}&size=${PAGE_SIZE}`);
      const pages = Math.max(1, Math.ceil(data.total / PAGE_SIZE));
      table.replaceChildren(
        h('p', { class: 'summary' }, `共 ${data.total} 条 · 第 ${page}/${pages} 页`),
        data.items.length ? h('table', { class: 'table demands' },
          h('thead', null, h('tr', null, ['标题', '地区', '预算（万元）', '截止', '状态', ''].map((t) => h('th', null, t)))),
          h('tbody', null, data.items.map((d) => h('tr', { dataset: { id: d.id, status: d.status || 'open' } },
            h('td', null, h('a', { href: `#/record/demands/${encodeURIComponent(d.id)}` }, d.title),
              d.challenge ? [' ', h('span', { class: 'badge challenge' }, `揭榜挂帅${d.challenge.bounty != null ? ` · 榜额 ${d.challenge.bounty} 万元` : ''}`)] : null),
            h('td', null, regionName(d.region)),
            h('td', null, d.budget ? `${d.budget.min ?? '?'} – ${d.budget.max ?? '?'}` : '面议'),
            h('td', null, deadlineText((d.challenge && d.challenge.deadline) || d.deadline) || '—'),
            h('td', null, label(RECORD_STATUSES, d.status || 'open')),
            h('td', { class: 'row' },
              h('a', { class: 'button', href: `#/match/${encodeURIComponent(d.id)}` }, '匹配结果'),
              h('button', { type: 'button', class: 'edit', onclick: () => editDemand(editor, d, reload) }, '编辑'),
              h('button', { type: 'button', class: 'toggle', onclick: () => setStatus(d, d.status === 'closed' ? 'open' : 'closed', reload) },
                d.status === 'closed' ? '重新开放' : '关闭')))))) :
          h('div', { class: 'notice' }, '还没有需求。点「发布需求」写下要解决的技术问题。'),
        h('div', { class: 'pager' }, [[page - 1, '上一页'], [page + 1, '下一页']].map(([p, t]) => h('button', {
          type: 'button', disabled: p < 1 || p > pages, onclick: () => { location.hash = `#/demands?page=${p}`; },
        }, t))));
    } catch (e) {
      table.replaceChildren(errorBox(e, '需求列表'));
    }
  }
  reload();
}

async function setStatus(d, status, done) {
  try {
    const { data: full } = await api(`/v1/demands/${encodeURIComponent(d.id)}`);
    await api(`/v1/demands/${encodeURIComponent(d.id)}`, { method: 'PUT', body: { ...full, status } });
    toast(status === 'closed' ? `已关闭「${d.title}」：不再匹配，经纪人手上的推荐已撤回` : `已重新开放「${d.title}」`);
    done();
  } catch (e) { failed('修改状态', e); }
}

// editDemand opens the form for d (null: a new demand).
function editDemand(box, d, done) {
  d = d || {};
  const num = (name, v, attrs = {}) => h('input', { name, type: 'number', min: 0, step: 'any', value: v ?? '', ...attrs });
  const f = {
    title: h('input', { name: 'title', value: d.title || '', required: true, maxlength: 200 }),
    description: h('textarea', { name: 'description', rows: 5, placeholder: '要解决的技术问题、现有条件、指标要求、应用场景' }, d.description || ''),
    keywords: h('input', { name: 'keywords', value: (d.keywords || []).join('、'), placeholder: '如 热失控、储能（顿号或逗号分隔）' }),
    field: h('select', { name: 'field' }, h('option', { value: '' }, '（不限）'),
      fields().map((p) => h('option', { value: p, selected: (d.fields || [])[0] === p }, p))),
    region: h('input', { name: 'region', list: 'demand-regions', value: d.region ? regionName(d.region) : '', placeholder: '地名或代码，如 南京' }),
    budgetMin: num('budget_min', d.budget && d.budget.min),
    budgetMax: num('budget_max', d.budget && d.budget.max),
    minTRL: h('select', { name: 'min_trl' }, h('option', { value: '' }, '不限'),
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => h('option', { value: String(n), selected: d.min_trl === n }, `TRL ≥ ${n}`))),
    modes: Object.entries(MODES).map(([m, t]) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'accept_modes', value: m, checked: (d.accept_modes || []).includes(m) }), t)),
    deadline: h('input', { name: 'deadline', type: 'date', value: d.deadline || '' }),
    challenge: h('input', { name: 'challenge', type: 'checkbox', checked: !!d.challenge }),
    bounty: num('bounty', d.challenge && d.challenge.bounty),
    challengeDeadline: h('input', { name: 'challenge_deadline', type: 'date', value: (d.challenge && d.challenge.deadline) || '' }),
    contactName: h('input', { name: 'contact_name', value: (d.contact && d.contact.name) || '' }),
    contactPhone: h('input', { name: 'contact_phone', value: (d.contact && d.contact.phone) || '' }),
    // Staff file a demand for an enterprise; an enterprise's own are filed under its key.
    enterprise: session.role === 'admin' ? h('input', { name: 'enterprise', value: d.enterprise || '', required: true }) : null,
  };
  const challengeBox = h('fieldset', { class: 'challenge', hidden: !d.challenge }, h('legend', null, '揭榜挂帅'),
    h('label', null, '榜额（万元）', f.bounty), h('label', null, '揭榜截止日期', f.challengeDeadline));
  f.challenge.addEventListener('change', () => { challengeBox.hidden = !f.challenge.checked; });
  const form = h('form', { class: 'card editor', id: 'demand-form' },
    h('h2', null, d.id ? `编辑需求 ${d.id}` : '发布需求'),
    f.enterprise ? h('label', null, '企业名称', f.enterprise) : null,
    h('label', null, '需求标题', f.title), h('label', null, '需求描述', f.description), h('label', null, '关键词', f.keywords),
    h('label', null, '行业领域', f.field),
    h('label', null, '所在地区', f.region, h('datalist', { id: 'demand-regions' }, regions().map((r) => h('option', { value: r.name })))),
    h('div', { class: 'row wrap' }, h('label', null, '预算下限（万元）', f.budgetMin), h('label', null, '预算上限（万元）', f.budgetMax), h('label', null, '最低成熟度', f.minTRL)),
    h('div', { class: 'modes' }, h('span', null, '可接受的转化方式：'), f.modes),
    h('label', null, '需求截止日期', f.deadline),
    h('label', { class: 'check' }, f.challenge, '这是揭榜挂帅需求（设榜额和揭榜截止日期）'), challengeBox,
    h('div', { class: 'row wrap' }, h('label', null, '联系人', f.contactName), h('label', null, '联系电话', f.contactPhone)),
    h('div', { class: 'row end' }, h('button', { type: 'button', onclick: () => box.replaceChildren() }, '取消'),
      h('button', { type: 'submit', class: 'primary' }, d.id ? '保存' : '发布')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { ...d };
    for (const k of ['created_at', 'updated_at', 'rev']) delete body[k];
    body.title = f.title.value.trim();
    if (f.enterprise) body.enterprise = f.enterprise.value.trim();
    const set = (k, v) => { if (v === '' || v == null || (Array.isArray(v) && !v.length)) delete body[k]; else body[k] = v; };
    set('description', f.description.value.trim());
    set('keywords', list(f.keywords.value));
    set('fields', f.field.value ? [f.field.value] : []);
    set('region', f.region.value.trim());
    const bmin = f.budgetMin.value, bmax = f.budgetMax.value;
    set('budget', bmin || bmax ? { ...(bmin ? { min: Number(bmin) } : {}), ...(bmax ? { max: Number(bmax) } : {}) } : null);
    set('min_trl', f.minTRL.value ? Number(f.minTRL.value) : null);
    set('accept_modes', f.modes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value));
    set('deadline', f.deadline.value);
    set('challenge', f.challenge.checked ? { ...(f.bounty.value ? { bounty: Number(f.bounty.value) } : {}), ...(f.challengeDeadline.value ? { deadline: f.challengeDeadline.value } : {}) } : null);
    const contact = { ...(d.contact || {}), name: f.contactName.value.trim(), phone: f.contactPhone.value.trim() };
    set('contact', contact.name || contact.phone ? contact : null);
    try {
      const { data } = await api(d.id ? `/v1/demands/${encodeURIComponent(d.id)}` : '/v1/demands', { method: d.id ? 'PUT' : 'POST', body });
      toast(d.id ? `已保存「${data.title}」` : `已发布「${data.title}」（${data.id}），正在为它匹配`);
      box.replaceChildren();
      done();
    } catch (e) { failed(d.id ? '保存' : '发布', e); }
  });
  box.replaceChildren(form);
}
