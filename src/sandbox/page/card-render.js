// Feishu card JSON 2.0 (and the common 1.0 parts) → DOM. Text always goes in as text nodes or
// through the safe markdown renderer. Interactive parts call opts.onAction(value, formValue,
// name, extra), which the page turns into a card.action.trigger event for the bot.
import { renderMarkdown } from './markdown.js';

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Picks the text of a {content, i18n_content} object (or a plain string) in the card's locale. */
function pick(obj, ctx) {
  if (obj == null) return '';
  if (typeof obj === 'string') return obj;
  const i18n = obj.i18n_content || obj.i18n;
  if (i18n && typeof i18n === 'object') {
    for (const loc of ctx.locales) if (typeof i18n[loc] === 'string') return i18n[loc];
    const first = Object.values(i18n).find((v) => typeof v === 'string');
    if (first !== undefined) return first;
  }
  return typeof obj.content === 'string' ? obj.content : typeof obj.text === 'string' ? obj.text : '';
}

/** A text object: lark_md / markdown are markdown, anything else plain text. */
function textNode(obj, ctx, cls) {
  const box = el('div', cls);
  const s = pick(obj, ctx);
  if (obj && (obj.tag === 'lark_md' || obj.tag === 'markdown')) box.append(renderMarkdown(s, ctx));
  else box.textContent = s;
  return box;
}

function callbackValue(e) {
  const cb = (e.behaviors || []).find((b) => b && b.type === 'callback');
  if (cb) return cb.value && typeof cb.value === 'object' ? cb.value : {};
  if (e.value && typeof e.value === 'object') return e.value; // JSON 1.0
  return undefined;
}

function openUrl(e) {
  const b = (e.behaviors || []).find((x) => x && x.type === 'open_url');
  const url = b ? b.default_url || b.pc_url : e.url;
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : undefined;
}

function dateSuffix(ctx) {
  return ctx.zoneLabel ? ` ${ctx.zoneLabel}` : '';
}

/** A form field: registered with the enclosing form so submit can collect and check it. */
function field(e, ctx, control, get) {
  const wrap = el('label', 'field');
  wrap.dataset.fieldName = e.name || '';
  const label = pick(e.label, ctx);
  if (label) {
    const l = el('span', 'field-label', label);
    if (e.required) l.append(el('span', 'req', ' *'));
    wrap.append(l);
  }
  wrap.append(control);
  const err = el('span', 'field-error');
  wrap.append(err);
  if (ctx.form && e.name) ctx.form.fields.push({ name: e.name, required: !!e.required, get, wrap, err, control, initial: () => control.dataset.initial ?? '' });
  return wrap;
}

function renderInput(e, ctx) {
  const multi = e.input_type === 'multiline_text';
  const c = multi ? el('textarea') : el('input');
  if (multi) c.rows = Math.max(2, Math.min(8, Number(e.rows) || 3));
  else c.type = e.input_type === 'password' ? 'password' : 'text';
  if (e.name) c.name = e.name;
  c.placeholder = pick(e.placeholder, ctx);
  if (e.max_length) c.maxLength = Number(e.max_length);
  c.value = pick(e.default_value, ctx);
  c.dataset.initial = c.value;
  if (e.disabled) c.disabled = true;
  return field(e, ctx, c, () => c.value);
}

function renderSelect(e, ctx, multi) {
  const c = el('select');
  if (e.name) c.name = e.name;
  c.multiple = !!multi;
  if (!multi) {
    const ph = el('option', '', pick(e.placeholder, ctx) || '请选择');
    ph.value = '';
    ph.disabled = true;
    c.append(ph);
  }
  const initial = multi ? new Set(e.selected_values || []) : new Set([e.initial_option].filter(Boolean));
  for (const o of e.options || []) {
    const opt = el('option', '', pick(o.text, ctx) || String(o.value));
    opt.value = String(o.value);
    if (initial.has(o.value)) opt.selected = true;
    c.append(opt);
  }
  if (!multi && !e.initial_option) c.value = '';
  c.dataset.initial = c.value;
  if (e.disabled) c.disabled = true;
  const get = () => (multi ? [...c.selectedOptions].map((o) => o.value) : c.value);
  if (!ctx.form) {
    const value = callbackValue(e);
    c.addEventListener('change', () => value && ctx.onAction(value, undefined, e.name, { tag: e.tag, option: c.value }));
  }
  return field(e, ctx, c, get);
}

function renderPicker(e, ctx, type) {
  const c = el('input');
  c.type = type;
  if (e.name) c.name = e.name;
  c.value = e.initial_date || e.initial_time || e.initial_datetime || '';
  c.dataset.initial = c.value;
  c.title = pick(e.placeholder, ctx);
  if (e.disabled) c.disabled = true;
  // Like Feishu's, the picker has no label of its own: cards put one before it; the
  // placeholder stays available as the tooltip.
  // Feishu sends dates as "2027-03-31 +0800".
  const get = () => (c.value ? `${c.value.replace('T', ' ')}${type === 'time' ? '' : dateSuffix(ctx)}` : '');
  if (!ctx.form) {
    const value = callbackValue(e);
    c.addEventListener('change', () => value && ctx.onAction(value, undefined, e.name, { tag: e.tag, option: get() }));
  }
  return field(e, ctx, c, get);
}

function renderChecker(e, ctx) {
  const c = el('input');
  c.type = 'checkbox';
  if (e.name) c.name = e.name;
  c.checked = !!e.checked;
  const wrap = field(e, ctx, c, () => c.checked);
  wrap.classList.add('checker');
  wrap.append(textNode(e.text, ctx, 'checker-text'));
  return wrap;
}

function renderButton(e, ctx) {
  const b = el('button', `btn btn-${String(e.type || 'default').replace(/[^\w-]/g, '')}`);
  b.type = 'button';
  b.textContent = pick(e.text, ctx) || '按钮';
  if (e.name) b.name = e.name;
  if (e.disabled) b.disabled = true;
  const form = ctx.form;
  b.addEventListener('click', async () => {
    if (e.confirm && !(await ctx.confirm(pick(e.confirm.title, ctx), pick(e.confirm.text, ctx)))) return;
    const url = openUrl(e);
    if (url) window.open(url, '_blank', 'noopener');
    if (form && e.form_action_type === 'reset') return form.reset();
    const value = callbackValue(e);
    if (form && e.form_action_type === 'submit') {
      const values = form.collect();
      if (!values) return;
      return ctx.onAction(value || {}, values, e.name, { tag: 'button', button: b, form });
    }
    if (value) ctx.onAction(value, undefined, e.name, { tag: 'button', button: b });
  });
  return b;
}

function renderTable(e, ctx) {
  const scroll = el('div', 'table-scroll');
  const t = el('table', 'card-table');
  const cols = e.columns || [];
  const head = el('tr');
  for (const c of cols) head.append(el('th', '', pick(c.display_name, ctx) || c.name));
  t.appendChild(el('thead')).append(head);
  const body = t.appendChild(el('tbody'));
  for (const row of (e.rows || []).slice(0, 200)) {
    const tr = body.appendChild(el('tr'));
    for (const c of cols) {
      const td = tr.appendChild(el('td'));
      const v = row[c.name];
      if (c.data_type === 'lark_md' || c.data_type === 'markdown') td.append(renderMarkdown(String(v ?? ''), ctx));
      else if (c.data_type === 'options' && Array.isArray(v)) for (const o of v) td.append(el('span', `md-tag md-color-${String(o.color || 'blue').replace(/[^\w]/g, '')}`, String(o.text ?? '')));
      else if (c.data_type === 'date' && typeof v === 'number') td.textContent = new Date(v).toLocaleDateString('zh-CN', { timeZone: ctx.timeZone });
      else td.textContent = v == null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
  }
  scroll.append(t);
  return scroll;
}

function renderElements(list, ctx, into) {
  for (const e of list || []) if (e && typeof e === 'object') into.append(renderElement(e, ctx));
  return into;
}

function renderElement(e, ctx) {
  switch (e.tag) {
    case 'markdown':
    case 'lark_md': {
      const d = el('div', 'md');
      if (e.text_align) d.classList.add(`align-${String(e.text_align).replace(/\W/g, '')}`);
      d.append(renderMarkdown(pick(e, ctx), ctx));
      return d;
    }
    case 'plain_text':
      return textNode(e, ctx, 'plain');
    case 'div': {
      const d = el('div', 'div');
      if (e.text) d.append(textNode(e.text, ctx, e.text.tag === 'lark_md' ? 'md' : 'plain'));
      if (Array.isArray(e.fields) && e.fields.length) {
        const grid = d.appendChild(el('div', 'fields'));
        for (const f of e.fields) grid.append(textNode(f.text, ctx, f.is_short ? 'field-cell short' : 'field-cell'));
      }
      return d;
    }
    case 'hr':
      return el('hr', 'card-hr');
    case 'note': {
      const n = el('div', 'note');
      for (const x of e.elements || []) n.append(x.tag === 'img' ? el('span', 'img-inline', '🖼') : textNode(x, ctx, 'note-text'));
      return n;
    }
    case 'column_set': {
      const row = el('div', 'columns');
      for (const col of e.columns || []) {
        const c = el('div', 'column');
        if (col.width === 'auto') c.classList.add('column-auto');
        else c.style.flexGrow = String(Number(col.weight) || 1);
        if (col.background_style && col.background_style !== 'default') c.classList.add('column-bg');
        renderElements(col.elements, ctx, c);
        row.append(c);
      }
      return row;
    }
    case 'column':
      return renderElements(e.elements, ctx, el('div', 'column'));
    case 'form': {
      const f = el('form', 'card-form');
      f.dataset.formName = e.name || '';
      f.addEventListener('submit', (ev) => ev.preventDefault());
      const form = {
        fields: [],
        collect() {
          const values = {};
          let ok = true;
          for (const x of this.fields) {
            const v = x.get();
            const empty = v === '' || v === false || (Array.isArray(v) && v.length === 0);
            x.err.textContent = x.required && empty ? '请填写此项' : '';
            x.wrap.classList.toggle('invalid', x.required && empty);
            if (x.required && empty) ok = false;
            if (!(empty && x.control.tagName !== 'INPUT' && x.control.tagName !== 'TEXTAREA')) values[x.name] = v;
          }
          return ok ? values : null;
        },
        reset() {
          for (const x of this.fields) if ('value' in x.control) x.control.value = x.initial();
        },
      };
      return renderElements(e.elements, { ...ctx, form }, f);
    }
    case 'input':
      return renderInput(e, ctx);
    case 'select_static':
    case 'select_person':
      return renderSelect(e, ctx, false);
    case 'multi_select_static':
    case 'multi_select_person':
      return renderSelect(e, ctx, true);
    case 'date_picker':
      return renderPicker(e, ctx, 'date');
    case 'picker_time':
      return renderPicker(e, ctx, 'time');
    case 'picker_datetime':
      return renderPicker(e, ctx, 'datetime-local');
    case 'checker':
      return renderChecker(e, ctx);
    case 'button':
      return renderButton(e, ctx);
    case 'action': {
      const row = el('div', 'actions');
      for (const a of e.actions || []) row.append(renderElement(a, ctx));
      return row;
    }
    case 'overflow': {
      const row = el('div', 'actions overflow');
      for (const o of e.options || []) row.append(renderButton({ tag: 'button', text: o.text, value: o.value && typeof o.value === 'object' ? o.value : { ...(e.value || {}), option: o.value } }, ctx));
      return row;
    }
    case 'table':
      return renderTable(e, ctx);
    case 'collapsible_panel': {
      const d = el('details', 'panel');
      if (e.expanded) d.open = true;
      d.append(el('summary', '', pick(e.header && e.header.title, ctx) || '展开'));
      return renderElements(e.elements, ctx, d);
    }
    case 'interactive_container': {
      const box = renderElements(e.elements, ctx, el('div', 'interactive'));
      const value = callbackValue(e);
      if (value) {
        box.classList.add('clickable');
        box.addEventListener('click', () => ctx.onAction(value, undefined, e.name, { tag: 'interactive_container' }));
      }
      return box;
    }
    case 'img':
    case 'image':
      return el('div', 'img-placeholder', `🖼 图片${pick(e.alt, ctx) ? `：${pick(e.alt, ctx)}` : ''}`);
    case 'chart':
      return el('div', 'img-placeholder', '📊 图表');
    case 'person':
    case 'person_list':
      return el('span', 'mention', '@成员');
    default:
      return el('div', 'unsupported', `[沙盒暂不支持的组件：${String(e.tag).slice(0, 40)}]`);
  }
}

/** Draws a whole card. opts: onAction, confirm, timeZone, zoneLabel. */
export function renderCard(card, opts) {
  const root = el('div', 'card');
  if (!card || typeof card !== 'object') return root;
  const cfg = card.config || {};
  const locales = [...(Array.isArray(cfg.locales) ? cfg.locales : []), 'zh_cn', 'en_us'].filter((l, i, a) => a.indexOf(l) === i);
  locales.sort((a, b) => (b === 'zh_cn') - (a === 'zh_cn'));
  const ctx = { ...opts, locales, form: null };
  const header = card.header || (card.i18n_header && (card.i18n_header.zh_cn || Object.values(card.i18n_header)[0]));
  if (header && (header.title || header.subtitle)) {
    const h = el('div', `card-header tpl-${String(header.template || 'default').replace(/[^\w-]/g, '')}`);
    h.append(el('div', 'card-title', pick(header.title, ctx)));
    if (header.subtitle) h.append(el('div', 'card-subtitle', pick(header.subtitle, ctx)));
    for (const t of header.text_tag_list || []) h.append(el('span', `md-tag md-color-${String(t.color || 'blue').replace(/[^\w]/g, '')}`, pick(t.text, ctx)));
    root.append(h);
  }
  const elements = (card.body && card.body.elements) || card.elements || (card.i18n_elements && (card.i18n_elements.zh_cn || Object.values(card.i18n_elements)[0])) || [];
  renderElements(elements, ctx, root.appendChild(el('div', 'card-body')));
  return root;
}
