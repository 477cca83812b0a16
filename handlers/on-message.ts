import { clearDialog, readDialog, takeExpiredDialog, type DialogState } from '../db/repos/dialogs.js';
import { COMMANDS, parseCommand, suggestCommand, type CommandName } from '../src/domain/commands.js';
import { MessageReceived, TextContent } from '../src/lark/envelopes.js';
import type { Deps } from '../src/usecases/deps.js';
import { whoIs } from '../src/usecases/who-is.js';
import { answer, sendWord, type MessageContext } from './context.js';
import type { DialogTable } from './dialogs.js';
import { DIALOG_EXPIRED } from './dialogs/expired.js';
import type { CommandTable } from './commands/registry.js';

export interface MessageRoutes {
  commands: CommandTable;
  dialogs: DialogTable;
}

/** Text of a text or rich-text (post) message; undefined for stickers, images and the like. */
function textOf(messageType: string, content: string): string | undefined {
  try {
    const json: unknown = JSON.parse(content);
    if (messageType === 'text') {
      const t = TextContent.safeParse(json);
      return t.success ? t.data.text : undefined;
    }
    if (messageType === 'post') {
      // post content: {title, content: [[{tag:'text', text}, …], …]} (maybe under a locale key)
      const texts: string[] = [];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') {
          const o = v as Record<string, unknown>;
          if ((o.tag === 'text' || o.tag === 'md') && typeof o.text === 'string') texts.push(o.text);
          // An @-mention ({tag:'at', user_id:'@_user_1'}) is known from message.mentions; as
          // text it would stand in front of the command word.
          else if (o.tag === 'at') return;
          else Object.values(o).forEach(walk);
        }
      };
      walk(json);
      return texts.join(' ');
    }
  } catch {
    return undefined;
  }
  return undefined;
}

const LEAVE = /^[/／]?\s*(取消|退出|cancel)[。.!！~～\s]*$/i;

/**
 * What works now instead of a command not yet built, where something does — for the asker's
 * roles: 导出 台账 is for leaders and admins (it would refuse anyone else).
 */
const INSTEAD: Partial<Record<CommandName, (chatType: 'p2p' | 'group', roles: ReadonlySet<string>) => string | undefined>> = {
  ledger: (t, roles) => (supervises(roles) ? `可以先${sendWord(t)}「导出 台账」获取台账 Excel。` : ownPledge(t, roles)),
  status: (t, roles) =>
    supervises(roles) ? `可以先${sendWord(t)}「导出 台账」，台账 Excel 里有本组织及下级各承诺书的状态。${roles.has('secretary') ? `本组织的：${sendWord(t)}「承诺」。` : ''}` : ownPledge(t, roles),
};
const supervises = (roles: ReadonlySet<string>) => roles.has('leader') || roles.has('admin');
// 承诺 is answered in the private chat only (handlers/commands/pledge.ts): said so in a group.
const ownPledge = (t: 'p2p' | 'group', roles: ReadonlySet<string>) => (roles.has('secretary') ? `可以先${t === 'group' ? '私聊我发送' : '发送'}「承诺」查看本组织承诺书的状态。` : undefined);

/** im.message.receive_v1 → a command, a dialog step, or a short hint. */
export async function onMessage(deps: Deps, routes: MessageRoutes, event: unknown): Promise<void> {
  const parsed = MessageReceived.safeParse(event);
  if (!parsed.success) {
    deps.logger.warn({ issues: parsed.error.issues.length }, 'message event did not parse');
    return;
  }
  const { sender, message } = parsed.data;
  if (sender.sender_type && sender.sender_type !== 'user') return; // other bots, system messages
  const chatType = message.chat_type === 'p2p' ? 'p2p' : 'group';
  if (chatType === 'group') {
    const botId = await deps.botOpenId();
    const mentioned = (message.mentions ?? []).some((m) => m.id.open_id === botId);
    if (!mentioned) return; // in groups the bot answers only when @-mentioned
  }
  const raw = textOf(message.message_type, message.content);
  const base = { openId: sender.sender_id.open_id, chatId: message.chat_id, chatType, messageId: message.message_id } as const;
  if (raw === undefined) {
    await answer(deps, { ...base, args: [], text: '' }, { text: `我只看得懂文字消息。${sendWord(chatType)}「帮助」查看可用命令。` });
    return;
  }
  const cmd = parseCommand(raw);
  const ctx: MessageContext = { ...base, args: cmd.args, text: cmd.text };
  const bare = cmd.args.length === 0;

  // An open dialog (private chats only) gets the text before any command does: an answer may well
  // begin with a command word ("帮助困难党员…", "检查 每季度全覆盖"). Only a bare 取消 leaves it, and
  // a bare 帮助 shows the help card before the dialog asks its question again.
  let expired: DialogState | undefined;
  // "取消。", "退出": the words people use to leave, with the punctuation they type.
  const leaving = cmd.name === 'cancel' ? bare : LEAVE.test(raw.trim());
  const cancelling = cmd.name === 'cancel' || leaving;
  // Read once: the dialog decides a private message, and a cancel says whether there was one.
  const found = chatType === 'p2p' || cancelling ? await readDialog(deps.db, ctx.openId, deps.now()) : undefined;
  const dialog = found?.open ? found.state : undefined;
  if (chatType === 'p2p') {
    const dialogHandler = dialog ? routes.dialogs[dialog.kind] : undefined;
    if (dialog && dialogHandler && !leaving) {
      if (bare && cmd.name && cmd.name !== 'help') {
        // A bare command word answers no question here: say how to get to it, and save nothing.
        await answer(deps, ctx, { text: `你正在逐项填写承诺书：请回答上面的问题；要用「${COMMANDS[cmd.name][0]}」，先发送「取消」退出（已填内容保存在草稿中）。` });
        return;
      }
      const help = cmd.name === 'help' && bare ? routes.commands.help : undefined;
      if (help) await help(deps, ctx); // answer part 0; the dialog's question follows as part 1
      // The slash of "/帮助" or "/提交" is no part of an answer.
      await dialogHandler(deps, { ...ctx, text: raw.trim().replace(/^[/／]\s*/, '') }, dialog);
      return;
    }
    // A dialog that ran out is told once, at the next message (below); then its row is gone. Taken
    // (a delete) only when the read found one: not a write on every private message.
    if (found && !found.open) expired = await takeExpiredDialog(deps.db, ctx.openId, deps.now());
  }

  if (cancelling) {
    await clearDialog(deps.db, ctx.openId);
    await answer(deps, ctx, { text: dialog ? '已退出当前填写，已填内容保存在草稿中。发送「帮助」查看可用命令。' : `当前没有进行中的填写。${sendWord(chatType)}「帮助」查看可用命令。` });
    return;
  }
  if (cmd.name) {
    const handler = routes.commands[cmd.name];
    if (handler) {
      await handler(deps, ctx);
      return;
    }
  }
  const expiredHandler = expired ? DIALOG_EXPIRED[expired.kind] : undefined;
  if (expired && expiredHandler) {
    // Most likely the answer to the dialog's last question, whatever word it begins with.
    await expiredHandler(deps, ctx, expired);
    return;
  }
  if (cmd.name) {
    const word = COMMANDS[cmd.name][0];
    const offer = INSTEAD[cmd.name];
    const instead = (offer ? offer(chatType, (await whoIs(deps, ctx.openId)).roles) : undefined) ?? `${sendWord(chatType)}「帮助」查看现在可用的命令。`;
    await answer(deps, ctx, { text: `「${word}」功能还在建设中，暂不能使用。${instead}` });
    return;
  }
  // "@践诺助手" and nothing else: most likely asking what the bot does.
  const help = routes.commands.help;
  if (cmd.text === '' && help) {
    await help(deps, ctx);
    return;
  }
  const guess = suggestCommand(cmd.word);
  const hint = guess ? `你是想发送「${COMMANDS[guess][0]}」吗？` : '我没听懂这句话。';
  await answer(deps, ctx, { text: `${hint}${sendWord(chatType)}「帮助」查看可用命令。` });
}
