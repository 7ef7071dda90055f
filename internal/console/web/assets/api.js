// The API client, the signed-in caller, and the DOM helpers every page shares.
// Nothing here assigns innerHTML: text always goes in as text nodes.

const KEY_STORE = 'techmatch.key';

export const session = { key: sessionStorage.getItem(KEY_STORE) || '', role: 'anonymous', subject: '' };

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.field = e.field || '';
  }
  // routeMissing tells a route that this server does not have (yet) from a missing record.
  get routeMissing() {
    return this.status === 404 && /^(no route|没有这个接口)/.test(this.message);
  }
}

// api calls the v1 API with the session's key. It answers {data, headers}; errors throw ApiError.
export async function api(path, { method = 'GET', body, key = session.key, blob = false } = {}) {
  const headers = {};
  if (key) headers.Authorization = 'Bearer ' + key;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!resp.ok) {
    let parsed = null;
    try { parsed = await resp.json(); } catch { /* not JSON: keep the status */ }
    throw new ApiError(resp.status, parsed);
  }
  const data = resp.status === 204 ? null : blob ? await resp.blob() : await resp.json();
  return { data, headers: resp.headers };
}

export async function signIn(key) {
  const { data } = await api('/v1/me', { key });
  session.key = key;
  session.role = data.role || 'anonymous';
  session.subject = data.subject || '';
  sessionStorage.setItem(KEY_STORE, key);
}

export function signOut() {
  session.key = '';
  session.role = 'anonymous';
  session.subject = '';
  sessionStorage.removeItem(KEY_STORE);
}

// h builds an element: attrs set properties or attributes ("on*" add listeners), children are
// nodes or strings (as text), null and false are skipped, arrays are flattened.
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// s is h for SVG elements; every attribute is set with setAttribute.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  }
  return append(el, children);
}

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  return append(el, children);
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, name) => {
    if (name[0] === '#') {
      const n = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(n) && n > 0 && n < 0x110000 ? String.fromCodePoint(n) : m;
    }
    return ENTITIES[name.toLowerCase()] ?? m;
  });
}

// highlight renders an API fragment ("…<mark>锂电池</mark>…", escaped except <mark>) as text
// with real <mark> elements: every other tag stays visible text and never becomes markup.
export function highlight(fragment) {
  const out = document.createDocumentFragment();
  let inMark = false;
  for (const part of String(fragment).split(/(<mark>|<\/mark>)/)) {
    if (part === '<mark>') { inMark = true; continue; }
    if (part === '</mark>') { inMark = false; continue; }
    if (!part) continue;
    const text = document.createTextNode(decodeEntities(part));
    out.append(inMark ? h('mark', null, text) : text);
  }
  return out;
}

export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

let toastTimer = 0;
export function toast(message, kind = 'ok') {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.className = 'toast ' + kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

// errorBox shows an API error where a page's content would be.
export function errorBox(err, what) {
  if (err instanceof ApiError && err.routeMissing) return unavailable(what);
  const msg = err instanceof ApiError ? `${err.message}${err.field ? `（字段 ${err.field}）` : ''}` : String(err.message || err);
  const title = err instanceof ApiError && err.status === 401 ? '需要登录' : err instanceof ApiError && err.status === 403 ? '无权访问' : '出错了';
  return h('div', { class: 'notice error', role: 'alert' }, h('strong', null, title + '：'), msg);
}

// unavailable is the state of a page whose API this server does not offer.
export function unavailable(what) {
  return h('div', { class: 'notice unavailable', dataset: { state: 'unavailable' } },
    h('strong', null, '暂不可用：'), `${what}的接口在此服务器上尚未开放。其他功能不受影响。`);
}

export function loading() {
  return h('div', { class: 'loading' }, '加载中…');
}

export function fmtNum(x, digits = 2) {
  return typeof x === 'number' && Number.isFinite(x) ? Number(x.toFixed(digits)).toString() : '—';
}

export function fmtDate(s) {
  if (!s) return '—';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? String(s) : d.toLocaleString('zh-CN', { hour12: false });
}

// saveBlob hands a downloaded file to the browser; a plain link could not carry the key.
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
