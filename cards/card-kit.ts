/**
 * Small builders for Feishu card JSON 2.0, shared by every card.
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-structure
 */
export type CardElement = Record<string, unknown>;

export interface Card {
  schema: '2.0';
  config: Record<string, unknown>;
  header?: Record<string, unknown>;
  body: { elements: CardElement[] };
}

export type HeaderColor = 'blue' | 'green' | 'orange' | 'red' | 'grey' | 'turquoise' | 'purple';

const MD_SPECIAL: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '*': '&#42;', _: '&#95;', '~': '&#126;', '`': '&#96;',
  '[': '&#91;', ']': '&#93;', '(': '&#40;', ')': '&#41;', '#': '&#35;', '\\': '&#92;', '|': '&#124;',
};

/** At most the first `max` UTF-16 units of text: never cut between the two halves of a surrogate pair (an emoji), a lone half is not text. */
export function head(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, /[\ud800-\udbff]/.test(text[max - 1] ?? '') ? max - 1 : max);
}

/** At most `max` characters, an ellipsis marking a cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${head(text, max)}…` : text;
}

/** User text placed into card markdown: entity-escaped (no injected links or styling), capped. */
export function md(text: string, max = 500): string {
  return clip(text, max).replace(/[&<>*_~`[\]()#\\|]/g, (c) => MD_SPECIAL[c] ?? c);
}

/**
 * Feishu refuses a card message whose request body is over 30 KB (error 230025: 卡片及富文本消息请求体
 * 最大不能超过30KB), and a refused card is only logged by the outbox: the reader never sees it.
 * The card travels as a JSON string inside that JSON body, so it is measured escaped, as sent.
 */
export const FEISHU_CARD_MAX_BYTES = 30 * 1024;
/** What a card may take of that: under 30 KB whether Feishu counts 1,000 or 1,024 bytes a KB, with room for the rest of the body (receive_id, uuid). */
export const CARD_BUDGET_BYTES = FEISHU_CARD_MAX_BYTES - 2 * 1024;

const utf8 = new TextEncoder();
export const cardWireBytes = (c: Card): number => utf8.encode(JSON.stringify(JSON.stringify(c))).length;
export const fitsFeishu = (c: Card): boolean => cardWireBytes(c) <= CARD_BUDGET_BYTES;

export function card(title: string, color: HeaderColor, elements: CardElement[], subtitle?: string): Card {
  return {
    schema: '2.0',
    config: { update_multi: true, width_mode: 'fill' },
    header: {
      title: { tag: 'plain_text', content: title },
      ...(subtitle ? { subtitle: { tag: 'plain_text', content: subtitle } } : {}),
      template: color,
    },
    body: { elements },
  };
}

export const markdown = (content: string): CardElement => ({ tag: 'markdown', content });
export const hr = (): CardElement => ({ tag: 'hr' });

/** A button whose callback carries {"action": id, ...}; ids are listed in cards/actions.ts. */
export function button(
  text: string,
  value: { action: string } & Record<string, unknown>,
  type: 'primary' | 'default' | 'danger' | 'primary_filled' = 'default',
  extra: Record<string, unknown> = {},
): CardElement {
  return { tag: 'button', text: { tag: 'plain_text', content: text }, type, behaviors: [{ type: 'callback', value }], ...extra };
}

/** A form's submit button: the form's fields arrive as action.form_value. */
export function submitButton(text: string, value: { action: string } & Record<string, unknown>, name: string, type: 'primary' | 'danger' | 'default' = 'primary'): CardElement {
  return button(text, value, type, { form_action_type: 'submit', name });
}

export function input(name: string, label: string, opts: { value?: string; placeholder?: string; multiline?: boolean; maxLength?: number; required?: boolean } = {}): CardElement {
  return {
    tag: 'input',
    name,
    label: { tag: 'plain_text', content: label },
    label_position: 'top',
    ...(opts.value ? { default_value: opts.value } : {}),
    placeholder: { tag: 'plain_text', content: opts.placeholder ?? `请输入${label}` },
    ...(opts.multiline ? { input_type: 'multiline_text', rows: 3, auto_resize: true } : {}),
    ...(opts.maxLength ? { max_length: opts.maxLength } : {}),
    ...(opts.required ? { required: true } : {}),
  };
}

export function select(name: string, label: string, options: { value: string; text: string }[], initial?: string): CardElement {
  return {
    tag: 'select_static',
    name,
    placeholder: { tag: 'plain_text', content: label },
    options: options.map((o) => ({ text: { tag: 'plain_text', content: o.text }, value: o.value })),
    ...(initial ? { initial_option: initial } : {}),
  };
}

export function datePicker(name: string, label: string, initial?: string): CardElement {
  return { tag: 'date_picker', name, placeholder: { tag: 'plain_text', content: label }, ...(initial ? { initial_date: initial } : {}) };
}

export function form(name: string, elements: CardElement[]): CardElement {
  return { tag: 'form', name, elements };
}

/** Responses to card callbacks (answered within 3 s). */
export type Toast = { type: 'success' | 'info' | 'warning' | 'error'; content: string };
export interface CardResponse {
  toast?: Toast;
  card?: { type: 'raw'; data: Card };
}
export const toast = (type: Toast['type'], content: string, replace?: Card): CardResponse => ({
  toast: { type, content },
  ...(replace ? { card: { type: 'raw', data: replace } } : {}),
});
