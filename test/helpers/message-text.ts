/** Text of a text message, or the concatenated markdown/plain texts of a card (pure: also used in workerd). */
export function textOf(content: string): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (k === 'content' || k === 'text') && typeof x === 'string' ? out.push(x) : walk(x);
  };
  walk(JSON.parse(content));
  return out.join('\n');
}
