// 权重调优: sliders for a candidate profile, a live side-by-side preview, publish, history, rollback.
import { api, h, errorBox, loading, fmtNum, fmtDate, debounce, toast, ApiError } from './api.js';
import { FEATURES, FEATURE_ORDER, KINDS, STATUSES, label } from './labels.js';

const PARAMS = [
  { key: 'recall', label: '召回数', min: 10, max: 1000, step: 10 },
  { key: 'list_threshold', label: '入单阈值', min: 0, max: 1, step: 0.01 },
  { key: 'min_text', label: '文本相关度下限', min: 0, max: 0.6, step: 0.01 },
  { key: 'freshness_half_life_days', label: '时效半衰期（天）', min: 30, max: 3650, step: 15 },
  { key: 'region_scores.city', label: '地域：同城', min: 0, max: 1, step: 0.05 },
  { key: 'region_scores.province', label: '地域：同省', min: 0, max: 1, step: 0.05 },
  { key: 'region_scores.partner', label: '地域：协作地区', min: 0, max: 1, step: 0.05 },
  { key: 'region_scores.other', label: '地域：其他', min: 0, max: 1, step: 0.05 },
];
const DEFAULT_DEMANDS = 5;
const PREVIEW_DELAY = 350;

function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}
function setPath(obj, path, v) {
  const keys = path.split('.');
  const last = keys.pop();
  keys.reduce((o, k) => (o[k] ??= {}), obj)[last] = v;
}

export async function render(root, route) {
  const name = route.params.get('profile') || 'default';
  root.append(h('h1', null, '权重调优'));
  const body = h('div', null, loading());
  root.append(body);
  let current;
  try {
    current = (await api(`/v1/profiles/${encodeURIComponent(name)}`)).data;
  } catch (e) {
    body.replaceChildren(errorBox(e, '权重方案'));
    return;
  }
  new Tuner(body, current).start();
}

// Tuner holds one page's state: the current profile, the candidate being edited, the chosen demands.
class Tuner {
  constructor(root, current) {
    this.root = root;
    this.current = current;
    this.candidate = structuredClone({ weights: current.weights, params: current.params });
    this.demandIDs = [];
    this.labelled = [];
    this.seq = 0;
    this.preview = debounce(() => this.runPreview(), PREVIEW_DELAY);
  }

  start() {
    this.sliders = h('div', { class: 'card sliders', id: 'sliders' });
    this.picker = h('div', { class: 'card', id: 'preview-demands' }, h('h2', null, '预览用的需求'), loading());
    this.result = h('div', { class: 'preview', id: 'preview' });
    this.history = h('div', { class: 'card', id: 'history' }, loading());
    this.labels = h('div', { class: 'card', id: 'labelled' });
    this.note = h('input', { id: 'publish-note', placeholder: '这一版为什么这样调（必填）', maxlength: 1000, class: 'grow' });
    const publish = h('form', { class: 'card row wrap', id: 'publish-form', onsubmit: (ev) => { ev.preventDefault(); this.publish(); } },
      h('strong', null, `发布为 ${this.current.name} 的新版本`), this.note, h('button', { type: 'submit', class: 'primary' }, '发布'));
    this.root.replaceChildren(h('p', { class: 'muted', id: 'current-version' },
      `当前：${this.current.name} v${this.current.version} · ${this.current.author || '—'} · ${fmtDate(this.current.created_at)} · ${this.current.note || ''}`),
    h('div', { class: 'tuning-layout' }, h('div', { class: 'side' }, this.sliders, this.picker, publish), h('div', null, this.result, this.labels, this.history)));
    this.drawSliders();
    this.loadDemands();
    this.loadHistory();
  }

  slider(path, spec, value, base, onInput) {
    const out = h('output', null, fmtNum(value));
    const input = h('input', { type: 'range', min: spec.min, max: spec.max, step: spec.step, value: String(value), name: path, id: 'slider-' + path.replace(/\./g, '-') });
    const row = h('label', { class: 'slider' + (value !== base ? ' changed' : '') }, h('span', null, spec.label), input, out);
    input.addEventListener('input', () => {
      const v = Number(input.value);
      out.textContent = fmtNum(v);
      row.classList.toggle('changed', v !== base);
      onInput(v);
    });
    return row;
  }

  drawSliders() {
    const w = this.candidate.weights;
    const share = h('p', { class: 'muted', id: 'weight-share' });
    const updateShare = () => {
      const sum = FEATURE_ORDER.reduce((a, f) => a + (w[f] || 0), 0);
      share.textContent = sum > 0 ? '占比：' + FEATURE_ORDER.map((f) => `${FEATURES[f]} ${fmtNum((100 * (w[f] || 0)) / sum, 0)}%`).join(' · ') : '至少一个权重要大于 0';
    };
    updateShare();
    this.sliders.replaceChildren(h('h2', null, '权重'),
      ...FEATURE_ORDER.map((f) => this.slider('weights.' + f, { label: FEATURES[f], min: 0, max: 1, step: 0.01 }, w[f] || 0, this.current.weights[f] || 0,
        (v) => { w[f] = v; updateShare(); this.preview(); })),
      share,
      h('h2', null, '参数'),
      ...PARAMS.map((p) => this.slider('params.' + p.key, p, getPath(this.candidate.params, p.key), getPath(this.current.params, p.key),
        (v) => { setPath(this.candidate.params, p.key, v); this.preview(); })),
      h('button', { type: 'button', id: 'reset', onclick: () => { this.candidate = structuredClone({ weights: this.current.weights, params: this.current.params }); this.drawSliders(); this.preview(); } }, '恢复为当前版本'));
  }

  async loadDemands() {
    try {
      const { data } = await api('/v1/demands?page=1&size=50');
      const open = data.items.filter((d) => !d.status || d.status === 'open');
      this.demandIDs = open.slice(0, DEFAULT_DEMANDS).map((d) => d.id);
      const list = h('ul', { class: 'plain demand-checks' }, open.map((d) => h('li', null, h('label', { class: 'check' },
        h('input', { type: 'checkbox', value: d.id, checked: this.demandIDs.includes(d.id), onchange: () => {
          this.demandIDs = [...list.querySelectorAll('input:checked')].map((x) => x.value);
          this.preview();
        } }), d.title))));
      this.picker.replaceChildren(h('h2', null, '预览用的需求'), h('p', { class: 'muted' }, `默认取前 ${DEFAULT_DEMANDS} 条开放需求；不选则随机抽样 10 条。`), list);
    } catch (e) {
      this.picker.replaceChildren(h('h2', null, '预览用的需求'), errorBox(e, '需求列表'));
    }
    await this.loadLabelled();
    this.runPreview();
  }

  // runPreview asks for the candidate against the current profile; an answer that arrives after
  // a newer request was sent is dropped so the view never goes back to an older candidate.
  async runPreview() {
    const seq = ++this.seq;
    const ids = [...new Set([...this.demandIDs, ...this.labelled.map((l) => l.demand_id)])].slice(0, 50);
    const body = { profile: this.current.name, candidate: { weights: this.candidate.weights, params: this.params() } };
    if (ids.length) body.demand_ids = ids; else body.sample = 10;
    this.result.classList.add('busy');
    try {
      const { data } = await api('/v1/profiles/preview', { method: 'POST', body });
      if (seq !== this.seq) return;
      this.drawPreview(data);
    } catch (e) {
      if (seq !== this.seq) return;
      this.result.replaceChildren(errorBox(e, '预览'));
    } finally {
      if (seq === this.seq) this.result.classList.remove('busy');
    }
  }

  params() {
    const p = this.candidate.params;
    return { recall: Math.round(p.recall), list_threshold: p.list_threshold, min_text: p.min_text, freshness_half_life_days: p.freshness_half_life_days, region_scores: p.region_scores };
  }

  drawPreview(data) {
    this.result.dataset.seq = String(this.seq);
    this.result.replaceChildren(
      h('div', { class: 'card kpis' },
        h('div', { class: 'kpi' }, h('span', null, '前 10 名重合度'), h('strong', { id: 'overlap' }, `${fmtNum(data.overlap_at_10 * 100, 1)}%`)),
        h('div', { class: 'kpi' }, h('span', null, '平均名次变化'), h('strong', { id: 'rank-shift' }, fmtNum(data.mean_rank_shift, 2))),
        h('div', { class: 'kpi' }, h('span', null, '需求数'), h('strong', null, String(data.demands.length)))),
      ...data.demands.map((d) => h('div', { class: 'card demand-preview', dataset: { demand: d.demand_id } },
        h('h3', null, d.title, h('span', { class: 'muted' }, ` · overlap ${fmtNum(d.overlap_at_10 * 100, 0)}%`)),
        h('div', { class: 'side-by-side' },
          column(`当前 v${this.current.version}`, d.current, 'current'),
          column('候选', d.candidate, 'candidate')))));
    this.drawLabelled(data);
  }

  async loadLabelled() {
    // Labelled pairs come from agents' match lists; without that API the section says so.
    try {
      const { data } = await api('/v1/agents?page=1&size=50');
      const agents = data.items || data.agents || data || [];
      const pairs = [];
      for (const a of agents.slice(0, 20)) {
        for (const status of ['signed', 'rejected']) {
          const { data: m } = await api(`/v1/agents/${encodeURIComponent(a.id)}/matches?status=${status}&page=1&size=100`);
          pairs.push(...(m.items || []).map((x) => ({ demand_id: x.demand_id, kind: x.supply_kind, id: x.supply_id, status: x.status, reason: x.reason })));
        }
      }
      this.labelled = pairs;
      if (!pairs.length) this.labels.replaceChildren(h('h2', null, '已标注的匹配'), h('p', { class: 'muted' }, '经纪人还没有签约或拒绝的匹配。'));
    } catch (e) {
      this.labelled = [];
      this.labels.replaceChildren(h('h2', null, '已标注的匹配'), e instanceof ApiError && (e.routeMissing || e.status === 404) ? h('p', { class: 'muted', dataset: { state: 'unavailable' } }, '经纪人匹配单接口尚未开放，暂无标注数据。') : errorBox(e, '标注数据'));
    }
  }

  drawLabelled(data) {
    if (!this.labelled.length) return;
    const rank = (list, l) => list.find((x) => x.kind === l.kind && x.id === l.id)?.rank;
    const rows = this.labelled.map((l) => {
      const d = data.demands.find((x) => x.demand_id === l.demand_id);
      const before = d && rank(d.current, l);
      const after = d && rank(d.candidate, l);
      const better = (after || 11) < (before || 11);
      const worse = (after || 11) > (before || 11);
      const good = l.status === 'signed' ? better : worse;
      const bad = l.status === 'signed' ? worse : better;
      return h('tr', { class: good ? 'good' : bad ? 'bad' : '' }, h('td', null, l.demand_id), h('td', null, `${label(KINDS, l.kind)} ${l.id}`),
        h('td', null, label(STATUSES, l.status)), h('td', null, before ? `#${before}` : '>10'), h('td', null, after ? `#${after}` : '>10'));
    });
    this.labels.replaceChildren(h('h2', null, '已标注的匹配：候选方案会怎么排'),
      h('p', { class: 'muted' }, '签约的排得更靠前、拒绝的排得更靠后为好（绿色），反之为红色。'),
      h('table', { class: 'table' }, h('thead', null, h('tr', null, ['需求', '供给', '结果', '当前名次', '候选名次'].map((t) => h('th', null, t)))), h('tbody', null, rows)));
  }

  async publish() {
    const note = this.note.value.trim();
    if (!note) {
      toast('请写一句发布说明', 'warn');
      this.note.focus();
      return;
    }
    try {
      const { data } = await api(`/v1/profiles/${encodeURIComponent(this.current.name)}`, { method: 'PUT', body: { weights: this.candidate.weights, params: this.params(), note } });
      toast(`已发布 ${data.name} v${data.version}`);
      this.reload(data);
    } catch (e) {
      toast(`发布失败：${e.message}`, 'error');
    }
  }

  reload(profile) {
    this.current = profile;
    this.candidate = structuredClone({ weights: profile.weights, params: profile.params });
    this.start();
  }

  async loadHistory() {
    try {
      const { data } = await api(`/v1/profiles/${encodeURIComponent(this.current.name)}/versions`);
      const versions = [...data.versions].sort((a, b) => b.version - a.version);
      this.history.replaceChildren(h('h2', null, '版本历史'), h('table', { class: 'table', id: 'versions' },
        h('thead', null, h('tr', null, ['版本', '时间', '作者', '说明', '权重', ''].map((t) => h('th', null, t)))),
        h('tbody', null, versions.map((v) => h('tr', { dataset: { version: String(v.version) } },
          h('td', null, `v${v.version}`, v.version === this.current.version ? h('span', { class: 'badge current' }, '当前') : null),
          h('td', null, fmtDate(v.created_at)), h('td', null, v.author || '—'), h('td', null, v.note || ''),
          h('td', { class: 'small' }, FEATURE_ORDER.map((f) => `${FEATURES[f]}${fmtNum(v.weights[f] || 0)}`).join(' ')),
          h('td', null, v.version === this.current.version ? null : this.rollbackButton(v.version)))))));
    } catch (e) {
      this.history.replaceChildren(h('h2', null, '版本历史'), errorBox(e, '版本历史'));
    }
  }

  // rollbackButton asks for a second click instead of a modal confirm, which would block the page.
  rollbackButton(version) {
    let armed = false;
    const b = h('button', { type: 'button', class: 'rollback', dataset: { version: String(version) }, onclick: async () => {
      if (!armed) {
        armed = true;
        b.textContent = `确认回滚到 v${version}`;
        b.classList.add('danger');
        return;
      }
      try {
        const { data } = await api(`/v1/profiles/${encodeURIComponent(this.current.name)}/rollback?version=${version}`, { method: 'POST' });
        toast(`已回滚：新版本 v${data.version} 等同于 v${version}`);
        this.reload(data);
      } catch (e) {
        toast(`回滚失败：${e.message}`, 'error');
      }
    } }, '回滚');
    return b;
  }
}

const ARROWS = { up: '↑', down: '↓', new: '新', dropped: '移出', same: '=' };

function column(title, items, side) {
  return h('div', { class: 'col ' + side },
    h('h4', null, title),
    items.length ? h('ol', { class: 'plain ranks' }, items.map((it) => {
      const other = it.other_rank && it.other_rank <= 10 ? it.other_rank : null;
      const delta = other ? Math.abs(it.rank - other) : 0;
      return h('li', { class: 'change-' + it.change, dataset: { change: it.change, id: it.id } },
        h('span', { class: 'rank' }, String(it.rank)),
        h('span', { class: 'title' }, it.title),
        h('span', { class: 'score' }, fmtNum(it.score, 3)),
        side === 'candidate' || it.change === 'dropped' ? h('span', { class: 'arrow' }, ARROWS[it.change] + (delta && it.change !== 'same' ? delta : '')) : null);
    })) : h('p', { class: 'muted' }, '无结果'));
}
