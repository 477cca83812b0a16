// Small DOM helpers shared by the sandbox page: elements, toasts, a dialog, avatars, times.
const $ = (id) => document.getElementById(id);

export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function toast(type, text) {
  const t = el('div', `toast toast-${type}`, text);
  t.setAttribute('role', 'status');
  $('toasts').append(t);
  setTimeout(() => t.classList.add('fade'), 3200);
  setTimeout(() => t.remove(), 3800);
}

/** A small in-page dialog (native confirm/prompt would block the page and its tests). */
export function dialog({ title, text, input }) {
  return new Promise((resolve) => {
    $('dialog-title').textContent = title || '';
    $('dialog-text').textContent = text || '';
    const inp = $('dialog-input');
    inp.hidden = !input;
    inp.value = '';
    inp.placeholder = input || '';
    $('dialog').hidden = false;
    (input ? inp : $('dialog-ok')).focus();
    const done = (v) => {
      $('dialog').hidden = true;
      $('dialog-form').onsubmit = null;
      $('dialog-cancel').onclick = null;
      resolve(v);
    };
    $('dialog-form').onsubmit = (e) => {
      e.preventDefault();
      done(input ? inp.value.trim() || null : true);
    };
    $('dialog-cancel').onclick = () => done(input ? null : false);
  });
}

export const hue = (s) => [...String(s)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);
export function avatar(node, name, id, bot) {
  node.textContent = bot ? '践' : String(name || '?').slice(0, 1);
  node.style.background = bot ? '#3370ff' : `hsl(${hue(id || name)} 55% 52%)`;
}


const TIME = { hour: '2-digit', minute: '2-digit', hour12: false };
export function fmtTime(ms, withDay, tz) {
  return new Intl.DateTimeFormat('zh-CN', { timeZone: tz, ...(withDay ? { month: 'numeric', day: 'numeric' } : {}), ...TIME }).format(new Date(ms));
}
export const dayOf = (ms, tz) => new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(new Date(ms));

/** "+0800": the zone's offset as Feishu's date picker writes it. */
export function zoneLabel(tz) {
  try {
    const p = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).formatToParts(new Date()).find((x) => x.type === 'timeZoneName');
    const m = /([+-])(\d{2}):(\d{2})/.exec(p.value);
    return m ? `${m[1]}${m[2]}${m[3]}` : '+0000';
  } catch {
    return '+0800';
  }
}
