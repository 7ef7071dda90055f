// 投递失败的回调: staff see the webhook deliveries that failed and redeliver them.
import { api, h, errorBox, loading, fmtDate, toast, ApiError } from './api.js';
import { label } from './labels.js';

export const EVENTS = {
  'matches.assigned': '新分配匹配', 'matches.status_changed': '匹配状态变更',
  'challenge.taken': '有人揭榜', 'demand.closed': '需求关闭',
};

// failedDeliveries is a card listing failed deliveries, each with a 重新投递 button.
export function failedDeliveries() {
  const box = h('section', { class: 'card deliveries', id: 'failed-deliveries' }, h('h2', null, '投递失败的回调'), loading());
  const load = async () => {
    try {
      const { data } = await api('/v1/webhooks/deliveries?status=failed&size=50');
      const items = data.items || [];
      box.replaceChildren(h('h2', null, `投递失败的回调（${data.total ?? items.length}）`),
        items.length ? h('table', { class: 'table' },
          h('thead', null, h('tr', null, ['编号', '经纪人', '事件', '尝试', '最后结果', '时间', ''].map((t) => h('th', null, t)))),
          h('tbody', null, items.map((d) => h('tr', { dataset: { id: String(d.id), event: d.event } },
            h('td', null, String(d.id)), h('td', null, d.agent_id), h('td', null, label(EVENTS, d.event)),
            h('td', null, `${d.attempts} 次`), h('td', { class: 'muted' }, lastResult(d)),
            h('td', null, fmtDate(d.updated_at)),
            h('td', null, h('button', { type: 'button', class: 'redeliver', dataset: { id: String(d.id) }, onclick: () => redeliver(d.id, load) }, '重新投递'))))))
          : h('p', { class: 'muted' }, '没有投递失败的回调。'));
    } catch (e) {
      box.replaceChildren(h('h2', null, '投递失败的回调'), errorBox(e, '回调投递记录'));
    }
  };
  load();
  return box;
}

// lastResult says how the last attempt went: the receiver's status code, or that the call
// did not get through (the error itself is the delivery log's, in English, for staff).
function lastResult(d) {
  if (d.last_code) return `对方返回 HTTP ${d.last_code}`;
  return d.last_error ? `未能送达（${d.last_error}）` : '—';
}

async function redeliver(id, reload) {
  try {
    await api(`/v1/webhooks/deliveries/${id}/redeliver`, { method: 'POST' });
    toast(`已安排重新投递第 ${id} 条回调`);
  } catch (e) {
    toast(e instanceof ApiError && e.status === 409 ? `正在投递中，不能重复投递：${e.message}` : `重新投递失败：${e.message}`, 'error');
  }
  reload();
}
