// Feishu card markdown → DOM nodes. Never innerHTML: every piece of text becomes a text node, so
// user text (already entity-escaped by the bot) cannot inject markup, links or scripts.
// Supports what cards use: **bold**, *italic*, ~~strike~~, `code`, [text](https://…), headings,
// lists, > quotes, ---, ``` blocks, <font color>, <text_tag>, <at>, <br>, and HTML entities.

const COLORS = new Set(['red', 'green', 'blue', 'grey', 'gray', 'orange', 'yellow', 'purple', 'carmine', 'violet', 'indigo', 'wathet', 'turquoise', 'lime', 'neutral']);
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function el(tag, cls) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  return e;
}

function colorClass(raw) {
  const c = String(raw || '').toLowerCase().replace(/-\d+$/, '');
  return COLORS.has(c) ? `md-color-${c === 'gray' ? 'grey' : c}` : '';
}

/** Finds the closing tag for an opening one at depth 0 (tags may nest). */
function findClose(src, from, open, close) {
  let depth = 1;
  let i = from;
  while (i < src.length) {
    const o = src.toLowerCase().indexOf(open, i);
    const c = src.toLowerCase().indexOf(close, i);
    if (c < 0) return -1;
    if (o >= 0 && o < c) {
      depth++;
      i = o + open.length;
    } else {
      depth--;
      if (depth === 0) return c;
      i = c + close.length;
    }
  }
  return -1;
}

function safeUrl(url) {
  return /^(https?:\/\/|lark:\/\/|mailto:)/i.test(url.trim()) ? url.trim() : '';
}

/** Inline markdown → an array of nodes. */
export function inline(src, opts = {}) {
  const out = [];
  let text = '';
  const flush = () => {
    if (text) out.push(document.createTextNode(text));
    text = '';
  };
  const push = (node) => {
    flush();
    out.push(node);
  };
  let i = 0;
  while (i < src.length) {
    const rest = src.slice(i);
    let m;
    if ((m = /^<br\s*\/?>/i.exec(rest))) {
      push(el('br'));
      i += m[0].length;
    } else if ((m = /^<font\s+color\s*=\s*['"]?([\w-]+)['"]?\s*>/i.exec(rest))) {
      const end = findClose(src, i + m[0].length, '<font', '</font>');
      if (end < 0) { text += src[i++]; continue; }
      const span = el('span', colorClass(m[1]));
      span.append(...inline(src.slice(i + m[0].length, end), opts));
      push(span);
      i = end + '</font>'.length;
    } else if ((m = /^<text_tag\s+color\s*=\s*['"]?([\w-]+)['"]?\s*>/i.exec(rest))) {
      const end = src.toLowerCase().indexOf('</text_tag>', i);
      if (end < 0) { text += src[i++]; continue; }
      const span = el('span', `md-tag ${colorClass(m[1])}`);
      span.append(...inline(src.slice(i + m[0].length, end), opts));
      push(span);
      i = end + '</text_tag>'.length;
    } else if ((m = /^<at\s+(?:id|user_id|email)\s*=\s*['"]?([^'">\s]+)['"]?\s*>([^<]*)<\/at>/i.exec(rest))) {
      const span = el('span', 'mention');
      const who = m[1] === 'all' ? '所有人' : m[2] || (opts.nameOf ? opts.nameOf(m[1]) : m[1]);
      span.textContent = `@${who}`;
      push(span);
      i += m[0].length;
    } else if (rest.startsWith('**') && rest.indexOf('**', 2) > 2) {
      const end = rest.indexOf('**', 2);
      const b = el('strong');
      b.append(...inline(rest.slice(2, end), opts));
      push(b);
      i += end + 2;
    } else if (rest.startsWith('~~') && rest.indexOf('~~', 2) > 2) {
      const end = rest.indexOf('~~', 2);
      const s = el('del');
      s.append(...inline(rest.slice(2, end), opts));
      push(s);
      i += end + 2;
    } else if ((m = /^\*([^*\s][^*]*?)\*/.exec(rest))) {
      const e = el('em');
      e.append(...inline(m[1], opts));
      push(e);
      i += m[0].length;
    } else if ((m = /^`([^`]+)`/.exec(rest))) {
      const c = el('code');
      c.textContent = decode(m[1]);
      push(c);
      i += m[0].length;
    } else if ((m = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(rest))) {
      const url = safeUrl(decode(m[2]));
      const a = url ? el('a') : el('span');
      if (url) {
        a.href = url;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
      }
      a.append(...inline(m[1], opts));
      push(a);
      i += m[0].length;
    } else if ((m = /^&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/i.exec(rest))) {
      text += decode(m[0]);
      i += m[0].length;
    } else {
      text += src[i++];
    }
  }
  flush();
  return out;
}

/** HTML entities → characters (as text, never markup). */
export function decode(s) {
  return s.replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/gi, (all, name) => {
    if (name[0] === '#') {
      const n = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : all;
    }
    return ENTITIES[name.toLowerCase()] ?? all;
  });
}

/** Block markdown → a DocumentFragment. */
export function renderMarkdown(src, opts = {}) {
  const frag = document.createDocumentFragment();
  const lines = String(src ?? '').replace(/\r\n?/g, '\n').split('\n');
  let para = null;
  let list = null;
  const endPara = () => { para = null; };
  const endList = () => { list = null; };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m;
    if (/^\s*```/.test(line)) {
      endPara(); endList();
      const pre = el('pre');
      const code = el('code');
      const body = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) body.push(lines[i]);
      code.textContent = body.join('\n');
      pre.append(code);
      frag.append(pre);
    } else if (/^\s*(-{3,}|\*{3,})\s*$/.test(line)) {
      endPara(); endList();
      frag.append(el('hr'));
    } else if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
      endPara(); endList();
      const h = el(`h${Math.min(6, m[1].length + 2)}`, 'md-h');
      h.append(...inline(m[2], opts));
      frag.append(h);
    } else if ((m = /^\s*(?:([-*+])|(\d+)\.)\s+(.*)$/.exec(line))) {
      endPara();
      const kind = m[1] ? 'ul' : 'ol';
      if (!list || list.tagName.toLowerCase() !== kind) {
        list = el(kind);
        if (kind === 'ol' && m[2] !== '1') list.start = Number(m[2]);
        frag.append(list);
      }
      const li = el('li');
      li.append(...inline(m[3], opts));
      list.append(li);
    } else if ((m = /^>\s?(.*)$/.exec(line))) {
      endPara(); endList();
      const q = el('blockquote');
      q.append(...inline(m[1], opts));
      frag.append(q);
    } else if (line.trim() === '') {
      endPara(); endList();
    } else {
      endList();
      if (para) para.append(el('br'));
      else {
        para = el('p');
        frag.append(para);
      }
      para.append(...inline(line, opts));
    }
  }
  return frag;
}
