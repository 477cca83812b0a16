// One chat message → DOM: text (with @-mentions), a card, a file link, or a placeholder.
import { renderCard } from './card-render.js';
import { avatar, dayOf, el, fmtTime, zoneLabel } from './ui.js';

function textParts(m) {
  let text = '';
  try {
    text = JSON.parse(m.content).text ?? '';
  } catch {}
  const frag = document.createDocumentFragment();
  const keys = m.mentions.map((x) => x.key).filter(Boolean);
  const re = new RegExp(`(${[...keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), '<at [^>]*>[^<]*</at>'].join('|')})`, 'g');
  for (const part of String(text).split(re)) {
    if (!part) continue;
    const mention = m.mentions.find((x) => x.key === part);
    const at = /^<at [^>]*>([^<]*)<\/at>$/.exec(part);
    if (mention || at) frag.append(el('span', 'mention', `@${mention ? mention.name : at[1] || '某人'}`));
    else frag.append(document.createTextNode(part));
  }
  return frag;
}

/** opts: { me, tz, nowMs, onAction(m, value, formValue, name, extra), confirm(title, text) } */
export function drawMessage(m, opts) {
  const mine = m.sender.openId === opts.me;
  const row = el('div', `msg ${mine ? 'mine' : m.sender.isBot ? 'bot' : 'other'}`);
  row.dataset.messageId = m.messageId;
  row.dataset.sender = m.sender.name;
  row.dataset.version = String(m.version);
  const av = el('span', 'avatar');
  avatar(av, m.sender.name, m.sender.openId, m.sender.isBot);
  const body = el('div', 'msg-body');
  const meta = el('div', 'msg-meta');
  meta.append(el('span', 'msg-name', m.sender.name), el('time', '', fmtTime(m.createdAt, dayOf(m.createdAt, opts.tz) !== dayOf(opts.nowMs, opts.tz), opts.tz)));
  if (m.version > 1) meta.append(el('span', 'edited', '已更新'));
  body.append(meta);
  if (m.replyTo) body.append(el('div', 'reply-quote', `回复 ${m.replyTo.senderName}：${m.replyTo.preview}`));
  if (m.msgType === 'text') body.appendChild(el('div', 'bubble')).append(textParts(m));
  else if (m.msgType === 'interactive') {
    let card = null;
    try {
      card = JSON.parse(m.content);
    } catch {}
    body.append(renderCard(card, { onAction: (v, f, n, x) => opts.onAction(m, v, f, n, x), confirm: opts.confirm, timeZone: opts.tz, zoneLabel: zoneLabel(opts.tz) }));
  } else if (m.msgType === 'file') {
    const a = el('a', 'file');
    if (m.file) {
      a.href = `/sandbox/api/files/${encodeURIComponent(m.file.key)}`;
      a.download = m.file.name;
      a.append(el('span', 'file-icon', '📄'), el('span', 'file-name', m.file.name), el('small', '', `${Math.max(1, Math.round(m.file.size / 1024))} KB · 点击下载`));
    } else a.textContent = '[文件不可用]';
    body.append(a);
  } else body.append(el('div', 'bubble muted', `[${m.msgType} 消息]`));
  row.append(av, body);
  return row;
}

