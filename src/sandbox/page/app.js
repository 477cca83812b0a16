// The sandbox chat page: pick who you are, chat with 践诺助手 privately and in groups, press
// card buttons, move the sandbox clock. Talks only to /sandbox/api; polls for new messages.
import { drawMessage } from './messages.js';
import { avatar, dayOf, dialog, el, fmtTime, hue, toast } from './ui.js';

const $ = (id) => document.getElementById(id);
const BOT = '践诺助手';
const ROLE_LABELS = { admin: '管理员', leader: '领导', secretary: '书记', member: '党员' };
const ROLE_ORDER = ['admin', 'leader', 'secretary', 'member'];
const S = { dir: null, as: null, me: null, chats: [], chatId: null, rev: 0, views: new Map(), clock: null, seen: {} };
const tz = () => S.clock?.timeZone || 'Asia/Shanghai';
const nowMs = () => Date.parse(S.clock?.now ?? '') || Date.now();

async function api(path, body) {
  const res = await fetch(`/sandbox/api${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }));
  if (!res.ok || json.ok === false) throw new Error(json.error || `HTTP ${res.status}`);
  return json;
}

// ---- routing: #as=<open_id>&chat=<chat_id> ----
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  return { as: p.get('as'), chat: p.get('chat') };
}
function writeHash() {
  const p = new URLSearchParams();
  if (S.as) p.set('as', S.as);
  if (S.chatId) p.set('chat', S.chatId);
  history.replaceState(null, '', `#${p}`);
  if (S.as) localStorage.setItem('sandbox.as', S.as);
}

// ---- identity picker ----
function rolesText(p) {
  return p.grants.map((g) => `${ROLE_LABELS[g.role] || g.role} · ${g.orgName}`).join('；');
}
function drawPicker() {
  const q = $('picker-search').value.trim();
  const list = $('picker-list');
  list.replaceChildren();
  for (const role of ROLE_ORDER) {
    const people = S.dir.people.filter((p) => ROLE_ORDER.find((r) => p.grants.some((g) => g.role === r)) === role);
    const shown = people.filter((p) => !q || p.name.includes(q) || rolesText(p).includes(q));
    if (!shown.length) continue;
    list.append(el('h3', 'picker-group', `${ROLE_LABELS[role]}（${shown.length}）`));
    for (const p of shown) {
      const b = el('button', 'person');
      b.type = 'button';
      b.dataset.openId = p.openId;
      const av = el('span', 'avatar');
      avatar(av, p.name, p.openId);
      const t = el('span', 'person-text');
      t.append(el('strong', 'person-name', p.name), el('small', '', rolesText(p)));
      b.append(av, t);
      b.onclick = () => choose(p.openId);
      list.append(b);
    }
  }
  const none = S.dir.people.filter((p) => p.grants.length === 0);
  if (none.length && !q) list.append(el('p', 'muted', `另有 ${none.length} 人不在任何组织中。`));
}
function openPicker() {
  $('picker').hidden = false;
  drawPicker();
  $('picker-search').focus();
}
async function choose(openId) {
  $('picker').hidden = true;
  S.as = openId;
  S.chatId = null;
  S.chats = [];
  document.body.classList.remove('show-chat');
  await refreshState();
  openChat(S.chats[0]?.chatId);
}

// ---- state: who I am, my chats, the clock ----
async function refreshState() {
  if (!S.as) return;
  const st = await api(`/state?as=${encodeURIComponent(S.as)}`);
  S.me = st.me;
  S.clock = st.clock;
  S.chats = st.chats;
  drawMe();
  drawClock();
  drawChatList();
  const c = currentChat();
  if (c) drawChatHeader(c);
}
function drawMe() {
  avatar($('who-avatar'), S.me.name, S.me.openId);
  $('who-name').textContent = S.me.name;
  const roles = [...new Set(S.me.grants.map((g) => ROLE_LABELS[g.role] || g.role))];
  $('who-roles').textContent = roles.join(' · ') || '不在名录中';
  const chip = $('me-chip');
  chip.textContent = `我：${S.me.name}${roles.length ? `（${roles.join('、')}）` : ''}`;
  chip.hidden = false;
}
function drawClock() {
  const tz = S.clock.timeZone;
  const at = new Date(S.clock.now);
  $('clock-now').textContent = new Intl.DateTimeFormat('zh-CN', { timeZone: tz, year: 'numeric', month: 'long', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false }).format(at);
  $('clock-now').dateTime = S.clock.now;
  $('clock-now').classList.toggle('shifted', S.clock.offsetMs > 60_000);
}
function drawChatList() {
  const nav = $('chat-list');
  nav.replaceChildren();
  for (const c of S.chats) {
    const b = el('button', 'chat-item');
    b.type = 'button';
    b.dataset.chatId = c.chatId;
    b.dataset.chatName = c.name;
    if (c.chatId === S.chatId) b.classList.add('active');
    const av = el('span', 'avatar');
    if (c.type === 'p2p') avatar(av, BOT, c.chatId, true);
    else {
      av.textContent = '群';
      av.style.background = `hsl(${hue(c.chatId)} 45% 55%)`;
    }
    const body = el('span', 'chat-item-body');
    const top = el('span', 'chat-item-top');
    top.append(el('strong', 'chat-item-name', c.name));
    if (c.last) top.append(el('time', '', dayOf(c.last.at, tz()) === dayOf(nowMs(), tz()) ? fmtTime(c.last.at, false, tz()) : fmtTime(c.last.at, true, tz()).split(' ')[0]));
    const sub = el('span', 'chat-item-sub');
    if (c.type === 'group') sub.append(el('span', c.boundTo ? 'tag tag-bound' : 'tag tag-unbound', c.boundTo ? '已绑定' : '未绑定'));
    sub.append(el('span', 'preview', c.last ? `${c.type === 'group' ? `${c.last.senderName}：` : ''}${c.last.preview}` : c.type === 'p2p' ? '私聊' : '暂无消息'));
    body.append(top, sub);
    b.append(av, body);
    if (c.last && c.chatId !== S.chatId && c.last.rev > (S.seen[c.chatId] || 0)) b.append(el('span', 'unread'));
    b.onclick = () => openChat(c.chatId);
    nav.append(b);
  }
}

// ---- one chat ----
function currentChat() {
  return S.chats.find((c) => c.chatId === S.chatId);
}
function openChat(chatId) {
  if (!chatId) return;
  S.chatId = chatId;
  S.rev = 0;
  S.views = new Map();
  $('messages').replaceChildren();
  const c = currentChat();
  if (!c) return;
  document.body.classList.add('show-chat');
  drawChatHeader(c);
  $('input').placeholder = c.type === 'p2p' ? '输入消息或命令，如「帮助」，回车发送' : '在群里先 @践诺助手 再输入命令，如「@践诺助手 帮助」';
  $('mention').hidden = c.type === 'p2p';
  drawChips(c);
  writeHash();
  drawChatList();
  pollMessages();
}
function drawChatHeader(c) {
  $('chat-title').textContent = c.name;
  $('chat-sub').textContent = c.type === 'p2p' ? '机器人 · 私聊' : c.boundTo ? `群聊 · 已绑定「${c.boundTo.name}」（${c.boundTo.code}）` : '群聊 · 尚未绑定组织';
  if (c.type === 'p2p') avatar($('chat-avatar'), BOT, c.chatId, true);
  else {
    $('chat-avatar').textContent = '群';
    $('chat-avatar').style.background = `hsl(${hue(c.chatId)} 45% 55%)`;
  }
}
function drawChips(c) {
  const chips = $('chips');
  chips.replaceChildren();
  const words = c.type === 'p2p' ? ['帮助', '我的'] : ['帮助', '我的', '绑定'];
  for (const w of words) {
    const b = el('button', 'chip', w);
    b.type = 'button';
    b.onclick = () => {
      const text = c.type === 'group' ? `@${BOT} ${w}` : w;
      if (w === '绑定') {
        $('input').value = `${text} ${c.boundTo?.code ?? ''}`.trimEnd() + ' ';
        $('input').focus();
      } else send(text);
    };
    chips.append(b);
  }
}

function mergeMessages(list) {
  const box = $('messages');
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  for (const m of list) {
    const old = S.views.get(m.messageId);
    if (old && old.version === m.version) continue;
    const node = drawMessage(m, { me: S.as, tz: tz(), nowMs: nowMs(), onAction: press, confirm: (t, x) => dialog({ title: t || '请确认', text: x }) });
    if (old) old.node.replaceWith(node);
    else box.append(node);
    S.views.set(m.messageId, { version: m.version, node });
  }
  if (list.length && (nearBottom || list.some((m) => m.sender.openId === S.as))) box.scrollTop = box.scrollHeight;
  if (!box.children.length) box.append(el('p', 'empty', currentChat()?.type === 'group' ? '还没有消息。在群里 @践诺助手 发送「帮助」试试。' : '还没有消息。发送「帮助」看看践诺助手能做什么。'));
  else box.querySelector('.empty')?.remove();
}

async function pollMessages() {
  if (!S.as || !S.chatId) return;
  const chat = S.chatId;
  const r = await api(`/messages?as=${encodeURIComponent(S.as)}&chat=${encodeURIComponent(chat)}&since=${S.rev}`);
  if (chat !== S.chatId) return;
  S.rev = Math.max(S.rev, r.rev);
  S.seen[chat] = S.rev;
  mergeMessages(r.messages);
}

// ---- doing things ----
async function send(text) {
  if (!text.trim() || !S.chatId) return;
  $('send').disabled = true;
  try {
    await api('/messages', { as: S.as, chatId: S.chatId, text });
    $('input').value = '';
    await pollMessages();
  } catch (e) {
    toast('error', `发送失败：${e.message}`);
  } finally {
    $('send').disabled = false;
    $('input').focus();
  }
}

async function press(m, value, formValue, name, extra = {}) {
  const buttons = extra.form ? [...(extra.button?.closest('form')?.querySelectorAll('button') ?? [])] : extra.button ? [extra.button] : [];
  for (const b of buttons) b.disabled = true;
  try {
    const r = await api('/card-actions', { as: S.as, messageId: m.messageId, value, ...(formValue ? { formValue } : {}), ...(name ? { name } : {}) });
    if (r.toast) toast(r.toast.type || 'info', r.toast.content);
    await pollMessages();
  } catch (e) {
    toast('error', e.message);
  } finally {
    for (const b of buttons) if (b.isConnected) b.disabled = false;
  }
}

async function moveClock(body) {
  try {
    const r = await api('/clock', body);
    const when = new Intl.DateTimeFormat('zh-CN', { timeZone: S.clock.timeZone, month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(r.now));
    toast('success', `时间已拨到 ${when}，调度已运行（发出 ${r.report.sent} 条消息）`);
    $('clock-to').hidden = true;
    await refreshState();
    await pollMessages();
  } catch (e) {
    toast('error', e.message);
  }
}

async function newGroup() {
  const name = await dialog({ title: '新建群聊', text: '建一个群并把践诺助手拉进来。之后由管理员或领导在群里 @践诺助手 绑定 组织编码。', input: '群名称' });
  if (!name) return;
  try {
    const r = await api('/chats', { as: S.as, name });
    await refreshState();
    openChat(r.chatId);
  } catch (e) {
    toast('error', e.message);
  }
}

// ---- polling ----
let tickCount = 0;
async function loop() {
  try {
    if (!document.hidden && S.as) {
      await pollMessages();
      if (++tickCount % 3 === 0) await refreshState();
    }
  } catch (e) {
    console.warn(e);
  }
  setTimeout(loop, 700);
}

async function start() {
  $('who').onclick = openPicker;
  $('me-chip').onclick = openPicker;
  $('picker-search').oninput = drawPicker;
  $('back').onclick = () => {
    document.body.classList.remove('show-chat');
    refreshState().catch(() => {});
  };
  $('new-group').onclick = newGroup;
  $('mention').onclick = () => {
    const i = $('input');
    i.value = `@${BOT} ${i.value.replace(new RegExp(`^@${BOT}\\s*`), '')}`;
    i.focus();
  };
  $('composer').onsubmit = (e) => {
    e.preventDefault();
    send($('input').value);
  };
  $('input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send($('input').value);
    }
  });
  for (const b of document.querySelectorAll('[data-add]')) b.onclick = () => moveClock({ addMinutes: Number(b.dataset.add) });
  $('clock-to-toggle').onclick = () => {
    const f = $('clock-to');
    f.hidden = !f.hidden;
    if (!f.hidden && S.clock) {
      const next = new Date(Date.parse(S.clock.now) + 86_400_000);
      const local = new Intl.DateTimeFormat('sv-SE', { timeZone: S.clock.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(next);
      $('clock-to-input').value = local.replace(' ', 'T');
    }
  };
  $('clock-to').onsubmit = (e) => {
    e.preventDefault();
    moveClock({ to: $('clock-to-input').value });
  };

  S.dir = await api('/directory');
  const h = readHash();
  const as = h.as || localStorage.getItem('sandbox.as');
  if (as && S.dir.people.some((p) => p.openId === as)) {
    S.as = as;
    await refreshState();
    openChat(S.chats.some((c) => c.chatId === h.chat) ? h.chat : S.chats[0]?.chatId);
    if (!h.chat) document.body.classList.remove('show-chat');
  } else openPicker();
  document.body.classList.add('ready');
  loop();
}

start().catch((e) => toast('error', `沙盒页面加载失败：${e.message}`));
