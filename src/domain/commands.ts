/** The chat commands of DESIGN.md: Chinese first, English alias, '/' prefix allowed. */
export const COMMANDS = {
  help: ['帮助', 'help', '?', '？'],
  me: ['我的', 'me', 'whoami'],
  pledge: ['承诺', '承诺书', '我的承诺', 'pledge'],
  progress: ['进度', 'progress'],
  ledger: ['台账', 'ledger'],
  status: ['状态', 'status'],
  missing: ['未报', 'missing'],
  review: ['审核', 'review'],
  export: ['导出', 'export'],
  bind: ['绑定', 'bind'],
  unbind: ['解绑', 'unbind'],
  inspect: ['检查', 'inspect'],
  appraise: ['评议', 'appraise'],
  deadline: ['期限', '截止', 'deadline'],
  cancel: ['取消', 'cancel'],
} as const;

export type CommandName = keyof typeof COMMANDS;

const WORD_TO_COMMAND = new Map<string, CommandName>();
for (const [name, words] of Object.entries(COMMANDS) as [CommandName, readonly string[]][]) {
  for (const w of words) WORD_TO_COMMAND.set(w.toLowerCase(), name);
}

export interface ParsedCommand {
  name: CommandName | undefined;
  /** The first word as typed ("导出台账" when the space was left out), for replies that quote it. */
  word: string;
  args: string[];
  text: string;
}

/** Chinese command words, longest first: people typing Chinese rarely put a space after them. */
const CHINESE_WORDS = [...WORD_TO_COMMAND.keys()].filter((w) => /^\p{Script=Han}+$/u.test(w)).sort((a, b) => b.length - a.length);

/** The Chinese first argument a command's handler looks for (handlers/commands/*), longest first. */
const SUB_WORDS: Partial<Record<CommandName, readonly string[]>> = {
  pledge: ['对话'],
  export: ['承诺书', '台账'],
  deadline: ['第一季度', '第二季度', '第三季度', '第四季度', '承诺书', '一季度', '二季度', '三季度', '四季度', '承诺'],
};

/** What may stand glued to a command word: an organization code, a year or a date. */
const CODE_LIKE = /^[A-Za-z0-9-]+$/;

/** "台账2027" → ["台账", "2027"] for 导出; undefined unless a sub-word is followed by nothing or a code-like word. */
function splitSubWord(name: CommandName, token: string): string[] | undefined {
  for (const sub of SUB_WORDS[name] ?? []) {
    if (!token.startsWith(sub)) continue;
    const tail = token.slice(sub.length);
    if (tail === '') return [sub];
    if (CODE_LIKE.test(tail)) return [sub, tail];
  }
  return undefined;
}

/**
 * "导出台账" → 导出 ["台账"], "绑定HENU-WXY" → 绑定 ["HENU-WXY"]. Only when what follows the command
 * word is nothing but a known sub-word and/or a code, year or date: "承诺书怎么写" stays unrecognised.
 */
function gluedCommand(word: string): { name: CommandName; args: string[] } | undefined {
  for (const w of CHINESE_WORDS) {
    if (!word.startsWith(w) || word.length === w.length) continue;
    const name = WORD_TO_COMMAND.get(w)!;
    const rest = word.slice(w.length);
    const args = CODE_LIKE.test(rest) ? [rest] : splitSubWord(name, rest);
    if (args) return { name, args };
  }
  return undefined;
}

/** Feishu puts mentions into text as @_user_1 placeholders; drop them and the '/' prefix. */
export function stripMentions(text: string): string {
  return text.replace(/@_user_\d+/g, ' ').replace(/@_all/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Sentence punctuation typed after a command ("帮助。", "承诺！"); a lone "?" is 帮助 itself. */
const TRAILING_PUNCTUATION = /(?<=[^\s。．.！!？?，,~～…])[\s。．.！!？?，,~～…]+$/u;

export function parseCommand(raw: string): ParsedCommand {
  const text = stripMentions(raw).replace(/^[/／]\s*/, '').replace(TRAILING_PUNCTUATION, '');
  const [word = '', ...args] = text.split(/\s+/).filter(Boolean);
  const name = WORD_TO_COMMAND.get(word.toLowerCase());
  if (!name) {
    const glued = gluedCommand(word);
    return glued ? { name: glued.name, word, args: [...glued.args, ...args], text } : { name, word, args, text };
  }
  // "导出 台账2027": the sub-word glued to what follows it.
  const first = args[0] ? splitSubWord(name, args[0]) : undefined;
  return { name, word, args: first ? [...first, ...args.slice(1)] : args, text };
}

/** Closest command word for a typo ("帮组" → "帮助"), by edit distance ≤ 1 on the words. */
export function suggestCommand(word: string): CommandName | undefined {
  const w = word.toLowerCase();
  if (!w) return undefined;
  let best: { name: CommandName; d: number } | undefined;
  for (const [candidate, name] of WORD_TO_COMMAND) {
    const d = editDistance(w, candidate);
    // Never more edits than leave a letter of the word standing: any one character is one edit from '?'.
    const limit = Math.min(candidate.length <= 2 ? 1 : 2, candidate.length - 1);
    if (d <= limit && (!best || d < best.d)) best = { name, d };
    if (candidate.startsWith(w) && w.length >= 2 && (!best || best.d > 0)) best = { name, d: 0 };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
