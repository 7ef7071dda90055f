// 平台管理: staff's screens for supply records (list, add, edit, close, delete, import with a
// per-line report and a progress bar), agents and API keys.
import { api, h, errorBox, loading, fmtDate, toast, session, ApiError } from './api.js';
import { KINDS, SUPPLY_KINDS, ROLES, RECORD_STATUSES, label, regionName } from './labels.js';

const PAGE_SIZE = 20;
const TABS = [['records', '供给记录'], ['agents', '经纪人'], ['keys', 'API 密钥']];

function go(tab, params) {
  location.hash = `#/admin/${tab}` + (params && String(params) ? '?' + params : '');
}

export async function render(root, route) {
  const tab = route.parts[0] || 'records';
  root.append(h('h1', null, '平台管理'),
    h('div', { class: 'tabs', role: 'tablist' }, TABS.map(([t, text]) =>
      h('a', { href: `#/admin/${t}`, class: t === tab ? 'on' : '', dataset: { tab: t } }, text))));
  const body = h('div', { id: 'admin-' + tab });
  root.append(body);
  if (tab === 'agents') return agentsTab(body);
  if (tab === 'keys') return keysTab(body);
  return recordsTab(body, route.params);
}

// twoClicks runs act on the second click within 4 s, so a slip of the mouse changes nothing.
function twoClicks(text, confirmText, act) {
  const b = h('button', { type: 'button', class: 'danger' }, text);
  let armed = 0;
  b.addEventListener('click', async () => {
    if (!armed) {
      b.textContent = confirmText;
      armed = setTimeout(() => { armed = 0; b.textContent = text; }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = 0;
    b.disabled = true;
    try {
      await act();
    } finally {
      b.disabled = false;
      b.textContent = text;
    }
  });
  return b;
}

function failed(what, e) {
  toast(`${what}失败：${e instanceof ApiError ? e.message + (e.field ? `（字段 ${e.field}）` : '') : e.message}`, 'error');
}

// ---- 供给记录 ----

const list = (s) => String(s || '').split(/[,，、;；\s]+/).map((x) => x.trim()).filter(Boolean);

// EDITABLE are the fields the form edits; the rest of a record is kept as it is.
const EDITABLE = [
  ['title', '标题', 'text'], ['summary', '简介', 'area'], ['keywords', '关键词（逗号或顿号分隔）', 'list'],
  ['fields', '行业领域（如 新材料/电池材料）', 'list'], ['region', '地区（代码或地名，如 南京）', 'text'],
  ['org', '单位', 'text'], ['trl', '技术成熟度（1–9）', 'number'],
];

async function recordsTab(box, params) {
  const kind = SUPPLY_KINDS.includes(params.get('kind')) ? params.get('kind') : 'achievements';
  const page = Math.max(1, parseInt(params.get('page') || '1', 10) || 1);
  const kindSel = h('select', { id: 'admin-kind', onchange: () => go('records', new URLSearchParams({ kind: kindSel.value })) },
    SUPPLY_KINDS.map((k) => h('option', { value: k, selected: k === kind }, KINDS[k])));
  const editor = h('div', { id: 'record-editor' });
  const table = h('div', { id: 'record-table' }, loading());
  box.replaceChildren(
    h('div', { class: 'row wrap toolbar' }, kindSel,
      h('button', { type: 'button', class: 'primary', id: 'record-new', onclick: () => editRecord(editor, kind, null, reload) }, `新增${KINDS[kind]}`)),
    importForm(kind, () => reload()), editor, table);

  async function reload() {
    table.replaceChildren(loading());
    try {
      const { data } = await api(`/v1/${kind}?page=${page}&size=${PAGE_SIZE}`);
      const pages = Math.max(1, Math.ceil(data.total / PAGE_SIZE));
      table.replaceChildren(
        h('p', { class: 'summary' }, `共 ${data.total} 条 · 第 ${page}/${pages} 页`),
        h('table', { class: 'table records' },
          h('thead', null, h('tr', null, ['标题', '编号', '地区', '状态', '更新时间', ''].map((t) => h('th', null, t)))),
          h('tbody', null, data.items.map((r) => h('tr', { dataset: { id: r.id, status: r.status || 'active' } },
            h('td', null, h('a', { href: `#/record/${kind}/${encodeURIComponent(r.id)}` }, r.title)),
            h('td', { class: 'muted' }, r.id), h('td', null, regionName(r.region)),
            h('td', null, label(RECORD_STATUSES, r.status || 'active')), h('td', null, fmtDate(r.updated_at)),
            h('td', { class: 'row' },
              h('button', { type: 'button', class: 'edit', onclick: () => editRecord(editor, kind, r, reload) }, '编辑'),
              h('button', { type: 'button', class: 'toggle', onclick: () => setStatus(kind, r, r.status === 'closed' ? 'active' : 'closed', reload) },
                r.status === 'closed' ? '重新开放' : '关闭'),
              twoClicks('删除', '再点一次删除', async () => {
                try {
                  await api(`/v1/${kind}/${encodeURIComponent(r.id)}`, { method: 'DELETE' });
                  toast(`已删除 ${r.id}`);
                  reload();
                } catch (e) { failed('删除', e); }
              })))))),
        h('div', { class: 'pager' }, [[page - 1, '上一页'], [page + 1, '下一页']].map(([p, t]) => h('button', {
          type: 'button', disabled: p < 1 || p > pages, onclick: () => go('records', new URLSearchParams({ kind, page: String(p) })),
        }, t))));
    } catch (e) {
      table.replaceChildren(errorBox(e, '记录列表'));
    }
  }
  reload();
}

async function setStatus(kind, r, status, done) {
  try {
    const { data: full } = await api(`/v1/${kind}/${encodeURIComponent(r.id)}`);
    await api(`/v1/${kind}/${encodeURIComponent(r.id)}`, { method: 'PUT', body: { ...full, status } });
    toast(status === 'closed' ? `已关闭 ${r.id}：搜索默认不再列出，匹配不再推荐` : `已重新开放 ${r.id}`);
    done();
  } catch (e) { failed('修改状态', e); }
}

// editRecord opens the form for r (null: a new record) above the list.
async function editRecord(box, kind, r, done) {
  let full = {};
  if (r) {
    try {
      ({ data: full } = await api(`/v1/${kind}/${encodeURIComponent(r.id)}`));
    } catch (e) { failed('读取记录', e); return; }
  }
  const inputs = {};
  const form = h('form', { class: 'card editor', id: 'record-form' },
    h('h2', null, r ? `编辑 ${r.id}` : `新增${KINDS[kind]}`),
    r ? null : h('label', null, '编号（可留空，由服务器生成）', inputs.id = h('input', { name: 'id' })),
    EDITABLE.map(([k, text, type]) => {
      const v = full[k];
      const input = type === 'area' ? h('textarea', { name: k, rows: 4 }, v || '') :
        h('input', { name: k, type: type === 'number' ? 'number' : 'text', min: type === 'number' ? 1 : undefined, max: type === 'number' ? 9 : undefined,
          value: type === 'list' ? (v || []).join('、') : (v ?? '') });
      inputs[k] = input;
      return h('label', null, text, input);
    }),
    h('div', { class: 'row end' },
      h('button', { type: 'button', onclick: () => box.replaceChildren() }, '取消'),
      h('button', { type: 'submit', class: 'primary' }, '保存')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { ...full };
    for (const [k, , type] of EDITABLE) {
      const raw = inputs[k].value.trim();
      if (type === 'list') body[k] = list(raw);
      else if (type === 'number') { if (raw) body[k] = Number(raw); else delete body[k]; }
      else if (raw) body[k] = raw; else delete body[k];
    }
    try {
      const path = r ? `/v1/${kind}/${encodeURIComponent(r.id)}` : `/v1/${kind}`;
      if (!r && inputs.id.value.trim()) body.id = inputs.id.value.trim();
      const { data } = await api(path, { method: r ? 'PUT' : 'POST', body });
      toast(`已保存 ${data.id}`);
      box.replaceChildren();
      done();
    } catch (e) { failed('保存', e); }
  });
  box.replaceChildren(form);
  form.querySelector('input, textarea').focus();
}

// importForm uploads a CSV, XLSX or NDJSON file with a progress bar, then shows the per-line report.
function importForm(kind, done) {
  const file = h('input', { type: 'file', name: 'file', accept: '.csv,.xlsx,.ndjson,.jsonl,.json' });
  const bar = h('progress', { max: 100, value: 0, hidden: true, id: 'import-progress' });
  const report = h('div', { id: 'import-report' });
  const form = h('form', { class: 'row wrap import', id: 'import-form' },
    h('strong', null, `批量导入${KINDS[kind]}`), file, h('button', { type: 'submit' }, '上传导入'), bar,
    h('span', { class: 'muted' }, 'CSV、XLSX（首行为列名）或 NDJSON（每行一条 JSON）；坏行单独报告，不影响其他行。'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = file.files[0];
    if (!f) { toast('请先选择文件', 'warn'); return; }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1/${kind}/import`);
    xhr.setRequestHeader('Authorization', 'Bearer ' + session.key);
    let payload = f;
    if (/\.(csv|xlsx)$/i.test(f.name)) {
      payload = new FormData();
      payload.append('file', f, f.name);
    } else {
      xhr.setRequestHeader('Content-Type', 'application/x-ndjson');
    }
    bar.hidden = false;
    bar.value = 0;
    report.replaceChildren(h('p', { class: 'muted' }, `正在上传 ${f.name} …`));
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total); };
    xhr.onload = () => {
      bar.value = 100;
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status !== 200 || !data || data.error) {
        report.replaceChildren(h('div', { class: 'notice error' }, `导入失败：${(data && data.error && data.error.message) || 'HTTP ' + xhr.status}`));
        return;
      }
      const rejected = data.rejected || [];
      report.replaceChildren(
        h('p', { class: 'summary', id: 'import-summary' }, `已导入 ${data.accepted} 条，拒绝 ${rejected.length} 条` + (data.cut ? `；在第 ${data.cut.line} 行中断：${data.cut.reason}` : '')),
        rejected.length ? h('table', { class: 'table' }, h('thead', null, h('tr', null, ['行', '编号', '原因'].map((t) => h('th', null, t)))),
          h('tbody', null, rejected.slice(0, 200).map((x) => h('tr', null, h('td', null, String(x.line)), h('td', null, x.id || '—'), h('td', null, x.error))))) : null);
      done();
    };
    xhr.onerror = () => report.replaceChildren(h('div', { class: 'notice error' }, '导入失败：连接中断'));
    xhr.send(payload);
  });
  return h('section', { class: 'card' }, form, report);
}

// ---- 经纪人 ----

async function agentsTab(box) {
  const editor = h('div', { id: 'agent-editor' });
  const table = h('div', { id: 'agent-table' }, loading());
  const assign = h('section', { class: 'card', id: 'assign-box' });
  box.replaceChildren(h('div', { class: 'row toolbar' },
    h('button', { type: 'button', class: 'primary', id: 'agent-new', onclick: () => editAgent(editor, null, reload) }, '新增经纪人')), editor, table, assign);
  async function reload() {
    try {
      const { data } = await api('/v1/agents?page=1&size=100');
      assignForm(assign, data.items);
      table.replaceChildren(h('table', { class: 'table agents' },
        h('thead', null, h('tr', null, ['姓名', '编号', '负责地区', '负责领域', '容量', 'Webhook', ''].map((t) => h('th', null, t)))),
        h('tbody', null, data.items.map((a) => h('tr', { dataset: { id: a.id } },
          h('td', null, h('a', { href: `#/agents/${encodeURIComponent(a.id)}` }, a.name)), h('td', { class: 'muted' }, a.id),
          h('td', null, (a.regions || []).map((r) => regionName(r.padEnd(6, '0'))).join('、') || '全部'),
          h('td', null, (a.fields || []).join('、') || '全部'), h('td', null, String(a.capacity || 0)),
          h('td', null, a.webhook_url ? '已设置' : '—'),
          h('td', { class: 'row' }, h('button', { type: 'button', onclick: () => editAgent(editor, a, reload) }, '编辑'),
            twoClicks('删除', '再点一次删除', async () => {
              try {
                await api(`/v1/agents/${encodeURIComponent(a.id)}`, { method: 'DELETE' });
                toast(`已删除经纪人 ${a.name}，其未完成的推荐已转为待分配`);
                reload();
              } catch (e) { failed('删除', e); }
            })))))));
    } catch (e) {
      table.replaceChildren(errorBox(e, '经纪人列表'));
    }
  }
  reload();
}

// assignForm hands the open entries of the ticked demands to an agent, or to nobody.
async function assignForm(box, agents) {
  let demands = [];
  try {
    ({ data: { items: demands } } = await api('/v1/demands?page=1&size=100'));
  } catch (e) { box.replaceChildren(errorBox(e, '需求列表')); return; }
  demands = demands.filter((d) => !d.status || d.status === 'open');
  const agent = h('select', { name: 'agent_id' }, h('option', { value: '' }, '（不分配，退回待分配）'),
    agents.map((a) => h('option', { value: a.id }, `${a.name}（${a.id}）`)));
  const checks = demands.map((d) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'demand_ids', value: d.id }), `${d.title}（${d.enterprise || d.id}）`));
  const result = h('div', { id: 'assign-result' });
  const form = h('form', { id: 'assign-form' }, h('h2', null, '分配需求'),
    h('p', { class: 'muted' }, '勾选需求，交给一位经纪人：这些需求未完成的推荐（新分配、已联系、洽谈中）改由他跟进，已签约和已拒绝的保持原经纪人。'),
    h('div', { class: 'checks' }, checks.length ? checks : h('span', { class: 'muted' }, '没有开放的需求。')),
    h('div', { class: 'row' }, agent, h('button', { type: 'submit', class: 'primary' }, '分配')), result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const ids = checks.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    if (!ids.length) { toast('请先勾选需求', 'warn'); return; }
    try {
      const { data } = await api('/v1/assignments', { method: 'POST', body: { demand_ids: ids, agent_id: agent.value } });
      const moved = data.results.reduce((n, r) => n + r.moved, 0);
      result.replaceChildren(h('p', { class: 'summary' }, `已分配 ${ids.length} 个需求，${moved} 条推荐换了经纪人` +
        (data.results.some((r) => r.error) ? `；${data.results.filter((r) => r.error).map((r) => r.demand_id).join('、')} 不存在` : '')));
    } catch (e) { failed('分配', e); }
  });
  box.replaceChildren(form);
}

function editAgent(box, a, done) {
  const f = {
    id: h('input', { name: 'id', value: a ? a.id : '', disabled: !!a, required: true }),
    name: h('input', { name: 'name', value: a ? a.name : '', required: true }),
    regions: h('input', { name: 'regions', value: a ? (a.regions || []).join('、') : '', placeholder: '如 江苏、南京市、320500；留空为全部' }),
    fields: h('input', { name: 'fields', value: a ? (a.fields || []).join('、') : '', placeholder: '如 新材料/电池材料；留空为全部' }),
    capacity: h('input', { name: 'capacity', type: 'number', min: 0, value: a ? a.capacity || 0 : 20 }),
    webhook_url: h('input', { name: 'webhook_url', value: a ? a.webhook_url || '' : '', placeholder: '接收推送的地址（可选，http 或 https）' }),
  };
  const form = h('form', { class: 'card editor', id: 'agent-form' }, h('h2', null, a ? `编辑经纪人 ${a.name}` : '新增经纪人'),
    [['id', '编号'], ['name', '姓名'], ['regions', '负责地区'], ['fields', '负责领域'], ['capacity', '同时处理的开放需求数上限（0 表示暂不分配新需求）'], ['webhook_url', 'Webhook 地址']]
      .map(([k, t]) => h('label', null, t, f[k])),
    h('div', { class: 'row end' }, h('button', { type: 'button', onclick: () => box.replaceChildren() }, '取消'), h('button', { type: 'submit', class: 'primary' }, '保存')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { id: f.id.value.trim(), name: f.name.value.trim(), regions: list(f.regions.value), fields: list(f.fields.value), capacity: Number(f.capacity.value) || 0 };
    if (f.webhook_url.value.trim()) body.webhook_url = f.webhook_url.value.trim();
    try {
      await api(a ? `/v1/agents/${encodeURIComponent(a.id)}` : '/v1/agents', { method: a ? 'PUT' : 'POST', body });
      toast(`已保存经纪人 ${body.name}`);
      box.replaceChildren();
      done();
    } catch (e) { failed('保存', e); }
  });
  box.replaceChildren(form);
}

// ---- API 密钥 ----

async function keysTab(box) {
  const made = h('div', { id: 'new-key' });
  const table = h('div', { id: 'key-table' }, loading());
  const role = h('select', { name: 'role' }, ['enterprise', 'agent', 'admin'].map((r) => h('option', { value: r }, ROLES[r])));
  const subject = h('input', { name: 'subject', placeholder: '企业名称或经纪人编号（管理员可留空）', class: 'grow' });
  const form = h('form', { class: 'row wrap card', id: 'key-form' }, h('strong', null, '新建密钥'), role, subject, h('button', { type: 'submit', class: 'primary' }, '生成'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const { data } = await api('/v1/keys', { method: 'POST', body: { role: role.value, subject: subject.value.trim() } });
      const keyText = h('code', { id: 'new-key-value' }, data.key);
      made.replaceChildren(h('div', { class: 'notice' }, h('strong', null, '密钥只显示这一次，请立即交给使用者：'), ' ', keyText, ' ',
        h('button', { type: 'button', onclick: () => navigator.clipboard?.writeText(data.key).then(() => toast('已复制'), () => toast('无法复制，请手动选择', 'warn')) }, '复制')));
      subject.value = '';
      reload();
    } catch (e) { failed('生成密钥', e); }
  });
  box.replaceChildren(form, made, table);
  async function reload() {
    try {
      const { data } = await api('/v1/keys');
      table.replaceChildren(h('table', { class: 'table keys' },
        h('thead', null, h('tr', null, ['编号', '角色', '主体', '创建人', '创建时间', '状态', ''].map((t) => h('th', null, t)))),
        h('tbody', null, data.keys.map((k) => h('tr', { dataset: { id: k.id, revoked: k.revoked_at ? 'true' : 'false' } },
          h('td', { class: 'muted' }, k.id), h('td', null, label(ROLES, k.role)), h('td', null, k.subject || '—'), h('td', null, k.created_by || '—'),
          h('td', null, fmtDate(k.created_at)), h('td', null, k.revoked_at ? `已吊销（${fmtDate(k.revoked_at)}）` : '有效'),
          h('td', null, k.revoked_at ? null : twoClicks('吊销', '再点一次吊销', async () => {
            try {
              await api(`/v1/keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' });
              toast(`已吊销 ${k.id}：下一次请求起失效`);
              reload();
            } catch (e) { failed('吊销', e); }
          })))))));
    } catch (e) {
      table.replaceChildren(errorBox(e, '密钥列表'));
    }
  }
  reload();
}
