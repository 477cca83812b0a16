import type { EmulatedMessage } from '../../src/sandbox/open-api-emulator.js';

type Json = Record<string, unknown>;

function walk(v: unknown, visit: (o: Json) => void): void {
  if (Array.isArray(v)) v.forEach((x) => walk(x, visit));
  else if (v && typeof v === 'object') {
    visit(v as Json);
    Object.values(v as Json).forEach((x) => walk(x, visit));
  }
}

export const cardOf = (m: EmulatedMessage): Json => JSON.parse(m.content) as Json;

/** The (last) button whose text is `text`, whole (its confirm dialog, its form action). */
export function buttonNamed(card: Json, text: string): Json | undefined {
  let found: Json | undefined;
  walk(card, (o) => {
    if (o.tag === 'button' && (o.text as Json | undefined)?.content === text) found = o;
  });
  return found;
}

/** The callback value of the button whose text is `text`. */
export function buttonValue(card: Json, text: string): Record<string, unknown> {
  const b = (buttonNamed(card, text)?.behaviors as Json[] | undefined)?.find((x) => x.type === 'callback');
  const found = b?.value as Record<string, unknown> | undefined;
  if (!found) throw new Error(`no button「${text}」in card: ${JSON.stringify(card).slice(0, 400)}`);
  return found;
}

export function buttonTexts(card: Json): string[] {
  const out: string[] = [];
  walk(card, (o) => {
    if (o.tag === 'button') out.push(String((o.text as Json).content));
  });
  return out;
}

/** Form field name → its prefilled value (default_value / initial_option / initial_date). */
export function formDefaults(card: Json): Record<string, string> {
  const out: Record<string, string> = {};
  walk(card, (o) => {
    if (typeof o.name === 'string' && ['input', 'select_static', 'date_picker'].includes(String(o.tag))) {
      out[o.name] = String(o.default_value ?? o.initial_option ?? o.initial_date ?? '');
    }
  });
  return out;
}

export function cardText(card: Json): string {
  const out: string[] = [];
  walk(card, (o) => {
    if (typeof o.content === 'string') out.push(o.content);
  });
  return out.join('\n');
}

/**
 * Buttons inside a form that are not a named submit or reset: Feishu's form rules require every
 * button in a form to be one (or the card is refused). Their texts; empty when the card is right.
 */
export function looseFormButtons(card: Json): string[] {
  const loose: string[] = [];
  walk(card, (o) => {
    if (o.tag !== 'form') return;
    walk(o.elements, (b) => {
      const kind = b.form_action_type;
      if (b.tag === 'button' && !((kind === 'submit' || kind === 'reset') && typeof b.name === 'string')) loose.push(String((b.text as Json | undefined)?.content));
    });
  });
  return loose;
}

/** Texts of the submit buttons inside forms: their presses bring what was typed in the form. */
export function formSubmitButtons(card: Json): string[] {
  const found: string[] = [];
  walk(card, (o) => {
    if (o.tag !== 'form') return;
    walk(o.elements, (b) => {
      if (b.tag === 'button' && b.form_action_type === 'submit') found.push(String((b.text as Json | undefined)?.content));
    });
  });
  return found;
}
