/** The chat commands of DESIGN.md: Chinese first, English alias, '/' prefix allowed. */
export const COMMANDS = {
  help: ['帮助', 'help', '?', '？'],
  me: ['我的', 'me', 'whoami'],
  pledge: ['承诺', 'pledge'],
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
  word: string;
  args: string[];
  text: string;
}

/** Feishu puts mentions into text as @_user_1 placeholders; drop them and the '/' prefix. */
export function stripMentions(text: string): string {
  return text.replace(/@_user_\d+/g, ' ').replace(/@_all/g, ' ').replace(/\s+/g, ' ').trim();
}

export function parseCommand(raw: string): ParsedCommand {
  const text = stripMentions(raw).replace(/^[/／]\s*/, '');
  const [word = '', ...args] = text.split(/\s+/).filter(Boolean);
  const name = WORD_TO_COMMAND.get(word.toLowerCase());
  return { name, word, args, text };
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
