// Chinese labels for the API's codes, and region and field names from /assets/meta.json.

export const KINDS = { achievements: '科技成果', patents: '专利', experts: '专家', demands: '企业需求' };
export const SUPPLY_KINDS = ['achievements', 'patents', 'experts'];

export const MODES = {
  transfer: '转让', license: '许可', equity: '作价入股', joint_dev: '合作开发',
  service: '技术服务', trial_then_transfer: '先试用后转让',
};

export const FEATURES = {
  text: '文本相关', field: '行业领域', region: '地域', maturity: '成熟度',
  budget: '预算', mode: '转化方式', freshness: '时效', quality: '质量',
};
export const FEATURE_ORDER = Object.keys(FEATURES);

export const EXCLUDED = {
  closed: '已关闭', patent_invalid: '专利失效或过期', mode_mismatch: '转化方式不符',
  trl_floor: '成熟度低于下限', conflict_of_interest: '同一单位（利益冲突）', not_relevant: '经纪人标记为不相关',
  feedback_not_relevant: '经纪人标记为不相关', low_text_relevance: '文本相关度过低', missing_record: '记录已删除', deadline: '已截止',
};

export const STATUSES = { new: '新分配', contacted: '已联系', negotiating: '洽谈中', signed: '已签约', rejected: '已拒绝', withdrawn: '已撤回' };
export const STATUS_ORDER = Object.keys(STATUSES);
// NEXT is the workflow: new → contacted → negotiating → signed or rejected; rejected also from new.
// withdrawn is set by the server when the demand is deleted or closed, and is final.
export const NEXT = {
  new: ['contacted', 'rejected'], contacted: ['negotiating', 'rejected'],
  negotiating: ['signed', 'rejected'], signed: [], rejected: [], withdrawn: [],
};
export const REJECT_REASONS = {
  not_relevant: '不相关', too_early: '技术尚不成熟', price: '价格不合适', mode: '转化方式不合适',
  already_solved: '问题已解决', other: '其他',
};

export const ORG_TYPES = { university: '高校', institute: '科研院所', new_rnd_institution: '新型研发机构', enterprise: '企业', individual: '个人' };
// INACTIVE names why a supply record is out of service (the search hit's inactive).
export const INACTIVE = { closed: '已关闭', patent_invalid: '专利已失效或过期' };
export const RECORD_STATUSES = { active: '有效', closed: '已关闭', open: '征集中', matched: '已对接' };
export const LEGAL_STATUSES = { granted: '已授权', pending: '审查中', invalid: '已失效', expired: '已过期' };
export const PATENT_TYPES = { invention: '发明', utility: '实用新型', design: '外观设计' };
// cacheText says in Chinese whether an answer came from the cache (X-Cache).
export function cacheText(v) {
  return { hit: '命中', miss: '未命中', bypass: '未启用' }[v] || '—';
}
export const ROLES = { anonymous: '访客', enterprise: '企业', agent: '技术经纪人', admin: '平台管理员' };

const meta = { fields: [], regions: [], names: new Map() };

export async function loadMeta() {
  try {
    const resp = await fetch('/assets/meta.json');
    if (!resp.ok) return;
    const m = await resp.json();
    meta.fields = m.fields || [];
    meta.regions = m.regions || [];
    for (const r of meta.regions) meta.names.set(r.code, r.name);
  } catch {
    // Without names the console shows codes; nothing else depends on them.
  }
}

export function fields() { return meta.fields; }
export function regions() { return meta.regions; }

// regionName names a code, falling back to its city and then its province.
export function regionName(code) {
  if (!code) return '—';
  const c = String(code);
  return meta.names.get(c) || meta.names.get(c.slice(0, 4) + '00') || meta.names.get(c.slice(0, 2) + '0000') || c;
}

export function label(map, code) {
  return map[code] || code;
}
