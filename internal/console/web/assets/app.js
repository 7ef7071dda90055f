// The console's shell: sign-in, role-aware navigation and hash routing to the pages.
import { session, signIn, signOut, h, ApiError } from './api.js';
import { loadMeta, ROLES } from './labels.js';
import * as search from './search.js';
import * as match from './match.js';
import * as tuning from './tuning.js';
import * as agents from './agents.js';
import * as dashboard from './dashboard.js';
import * as audit from './audit.js';
import * as admin from './admin.js';
import * as demands from './demands.js';

// PAGES says who may open each page; a page a role may not use is not offered in the menu.
const PAGES = {
  search: { module: search, title: '搜索', roles: ['anonymous', 'enterprise', 'agent', 'admin'] },
  record: { module: search, title: '记录详情', roles: ['anonymous', 'enterprise', 'agent', 'admin'], render: 'renderRecord' },
  demands: { module: demands, title: '我的需求', roles: ['enterprise', 'admin'] },
  match: { module: match, title: '需求与匹配', roles: ['enterprise', 'admin'] },
  tuning: { module: tuning, title: '权重调优', roles: ['admin'] },
  agents: { module: agents, title: '经纪人工作台', roles: ['agent', 'admin'] },
  dashboard: { module: dashboard, title: '数据看板', roles: ['admin'] },
  admin: { module: admin, title: '平台管理', roles: ['admin'] },
  audit: { module: audit, title: '审计日志', roles: ['admin'] },
};

export function allowed(page) {
  return PAGES[page] ? PAGES[page].roles.includes(session.role) : false;
}

// parseHash reads "#/page/a/b?x=1" into {page, parts, params}.
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || 'search', parts: parts.slice(1), params: new URLSearchParams(query) };
}

function updateChrome() {
  document.getElementById('role').textContent = ROLES[session.role] + (session.subject ? ` · ${session.subject}` : '');
  document.getElementById('role').dataset.role = session.role;
  document.getElementById('signin').hidden = !!session.key;
  document.getElementById('signout').hidden = !session.key;
  const current = parseHash().page;
  for (const a of document.querySelectorAll('#nav a')) {
    a.hidden = !allowed(a.dataset.page);
    a.classList.toggle('active', a.dataset.page === current || (current === 'record' && a.dataset.page === 'search'));
  }
}

function route() {
  const r = parseHash();
  const view = document.getElementById('view');
  const page = PAGES[r.page];
  updateChrome();
  document.getElementById('nav').classList.remove('open');
  const root = h('section', { class: 'page', dataset: { page: r.page } });
  view.replaceChildren(root);
  if (!page) {
    root.append(h('div', { class: 'notice' }, '没有这个页面。', h('a', { href: '#/search' }, '回到搜索')));
    return;
  }
  document.title = `${page.title} · techmatch`;
  if (!allowed(r.page)) {
    root.append(h('div', { class: 'notice', dataset: { state: 'forbidden' } },
      `「${page.title}」需要以下身份之一：${page.roles.map((x) => ROLES[x]).join('、')}。`,
      h('button', { type: 'button', onclick: openSignIn }, '登录')));
    return;
  }
  page.module[page.render || 'render'](root, r);
}

const dialog = () => document.getElementById('signin-dialog');

function openSignIn() {
  document.getElementById('signin-error').hidden = true;
  document.getElementById('signin-key').value = '';
  dialog().showModal();
}

async function submitSignIn(ev) {
  ev.preventDefault();
  const key = document.getElementById('signin-key').value.trim();
  const err = document.getElementById('signin-error');
  try {
    await signIn(key);
    dialog().close();
    route();
  } catch (e) {
    err.textContent = e instanceof ApiError && e.status === 401 ? '密钥无效。' : `登录失败：${e.message}`;
    err.hidden = false;
  }
}

async function start() {
  document.getElementById('signin').addEventListener('click', openSignIn);
  document.getElementById('signin-cancel').addEventListener('click', () => dialog().close());
  document.getElementById('signin-form').addEventListener('submit', submitSignIn);
  document.getElementById('signout').addEventListener('click', () => { signOut(); route(); });
  const toggle = document.getElementById('menu-toggle');
  toggle.addEventListener('click', () => {
    const open = document.getElementById('nav').classList.toggle('open');
    toggle.setAttribute('aria-expanded', String(open));
  });
  window.addEventListener('hashchange', route);
  await loadMeta();
  if (session.key) {
    try {
      await signIn(session.key);
    } catch {
      signOut(); // a key that no longer works is dropped rather than retried on every call
    }
  }
  route();
  document.body.dataset.ready = 'true';
}

start();
