// 需求与匹配: post a one-sentence demand or pick a stored one, and read its explained match list.
import { api, h, highlight, errorBox, loading, fmtNum } from './api.js';
import { KINDS, SUPPLY_KINDS, EXCLUDED, cacheText, label, regionName } from './labels.js';
import { componentBars } from './charts.js';
import { challengeLine, demandStatus } from './challenge.js';

const LIMIT = 20;

function kindQuery(form) {
  const kinds = SUPPLY_KINDS.filter((k) => form.elements['k-' + k].checked);
  const q = new URLSearchParams({ limit: String(LIMIT) });
  if (kinds.length && kinds.length < SUPPLY_KINDS.length) q.set('kind', kinds.join(','));
  if (form.elements.profile.value) q.set('profile', form.elements.profile.value);
  return q;
}

export async function render(root, route) {
  const demandID = route.parts[0] || '';
  const result = h('div', { id: 'match-result', class: 'match-result' });
  const form = h('form', { id: 'match-form', class: 'card' },
    h('h2', null, '一句话发布需求'),
    h('textarea', { name: 'text', rows: 3, placeholder: '例如：需要高安全性锂离子电池电解质技术，预算200万元，南京，希望许可', required: true }),
    h('div', { class: 'row wrap' },
      SUPPLY_KINDS.map((k) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'k-' + k, checked: true }), KINDS[k])),
      h('label', null, '权重方案 ', h('select', { name: 'profile' }, h('option', { value: '' }, 'default'))),
      h('button', { type: 'submit', class: 'primary' }, '匹配')),
    h('p', { class: 'muted' }, '预算、地区、转化方式会从句子中识别；需求不会被保存。'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = form.elements.text.value.trim();
    if (!text) return;
    result.replaceChildren(loading());
    try {
      const { data, headers } = await api('/v1/match?' + kindQuery(form), { method: 'POST', body: { title: text } });
      result.replaceChildren(matchList(data, text, headers.get('X-Cache')));
      result.firstChild.dataset.source = 'adhoc';
    } catch (e) {
      result.replaceChildren(errorBox(e, '匹配'));
    }
  });
  const demands = h('div', { class: 'card demand-picker' }, h('h2', null, '或选择已登记的需求'), loading());
  root.append(h('h1', null, '需求与匹配'), h('div', { class: 'match-layout' }, h('div', { class: 'side' }, form, demands), result));

  loadProfiles(form.elements.profile);
  loadDemands(demands, demandID);
  if (demandID) openStored(result, demandID, form);
}

async function loadProfiles(sel) {
  try {
    const { data } = await api('/v1/profiles');
    sel.replaceChildren(...data.profiles.map((p) => h('option', { value: p.name }, `${p.name} v${p.version}`)));
  } catch {
    // The default profile still works without the list.
  }
}

async function loadDemands(box, selected) {
  try {
    const { data } = await api('/v1/demands?page=1&size=50');
    box.replaceChildren(h('h2', null, '或选择已登记的需求'), h('ul', { class: 'demands plain', id: 'demand-list' }, data.items.map((d) =>
      h('li', { class: d.id === selected ? 'on' : '' }, h('a', { href: `#/match/${encodeURIComponent(d.id)}`, dataset: { id: d.id } },
        d.challenge ? h('span', { class: 'badge challenge' }, '揭榜') : null, d.title,
        d.status === 'closed' ? h('span', { class: 'badge lapsed' }, demandStatus(d)) : null),
      h('span', { class: 'muted' }, ` ${d.enterprise || ''} ${d.region ? '· ' + regionName(d.region) : ''}`)))));
  } catch (e) {
    box.replaceChildren(h('h2', null, '或选择已登记的需求'), errorBox(e, '需求列表'));
  }
}

async function openStored(result, id, form) {
  result.replaceChildren(loading());
  try {
    const [{ data: demand }, { data, headers }] = await Promise.all([
      api(`/v1/demands/${encodeURIComponent(id)}`),
      api(`/v1/demands/${encodeURIComponent(id)}/matches?` + kindQuery(form)),
    ]);
    result.replaceChildren(matchList(data, demand.title, headers.get('X-Cache'), demand));
    result.firstChild.dataset.source = id;
  } catch (e) {
    result.replaceChildren(errorBox(e, '匹配'));
  }
}

// matchList renders the whole answer: what was read from the demand, the ranked matches with
// their components and reasons, and what the hard filters left out.
export function matchList(data, title, cache, demand) {
  const excluded = data.excluded || { count: 0, by_reason: {} };
  const reasons = Object.entries(excluded.by_reason || {}).sort((a, b) => b[1] - a[1]);
  return h('div', { class: 'match-list', dataset: { count: String(data.matches.length) } },
    h('div', { class: 'card head' },
      h('h2', null, title),
      demand ? h('p', { class: 'meta' }, [demand.enterprise, demand.region && regionName(demand.region), demand.min_trl && `TRL ≥ ${demand.min_trl}`,
        demand.budget && `预算 ${demand.budget.min ?? '?'}–${demand.budget.max ?? '?'} 万元`].filter(Boolean).join(' · ')) : null,
      demand ? challengeLine(demand) : null,
      h('p', { class: 'muted' }, `权重方案 ${data.profile.name} v${data.profile.version} · ${data.matches.length} 条匹配 · 缓存${cacheText(cache)}`),
      data.inferred && data.inferred.length ? h('div', { class: 'inferred', id: 'inferred' }, h('strong', null, '从文本识别：'),
        h('ul', { class: 'chips' }, data.inferred.map((x) => h('li', null, x)))) : null,
      h('div', { class: 'excluded', id: 'excluded' }, h('strong', null, `已排除 ${excluded.count} 条`),
        reasons.length ? h('ul', { class: 'chips' }, reasons.map(([r, n]) => h('li', { dataset: { reason: r } }, `${label(EXCLUDED, r)}：${n}`))) : null)),
    data.matches.length ? h('ol', { class: 'matches plain' }, data.matches.map((m, i) => matchCard(m, i + 1))) :
      h('div', { class: 'notice' }, '没有达到要求的匹配。可以换个说法，或放宽预算、地区与转化方式。'));
}

function matchCard(m, rank) {
  const frags = Object.values(m.highlights || {}).flat().slice(0, 2);
  return h('li', { class: 'card match', dataset: { kind: m.kind, id: m.id } },
    h('div', { class: 'match-main' },
      h('h3', null, h('span', { class: 'rank' }, `#${rank}`), ' ', h('span', { class: 'badge ' + m.kind }, label(KINDS, m.kind)), ' ',
        h('a', { href: `#/record/${m.kind}/${encodeURIComponent(m.id)}` }, m.title)),
      h('p', { class: 'score-line' }, '综合得分 ', h('strong', { class: 'score' }, fmtNum(m.score, 3))),
      h('ul', { class: 'reasons' }, (m.reasons || []).map((r) => h('li', null, r))),
      frags.length ? h('p', { class: 'fragments' }, frags.map((f) => h('span', { class: 'frag' }, highlight(f)))) : null),
    componentBars(m.components));
}
