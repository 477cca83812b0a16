import { BOT_NAME } from './chat-directory.js';
import type { Mention, SandboxStore, StoredMessage } from './sandbox-store.js';

/** A message as the chat page draws it. `content` is Feishu's JSON string, drawn by the page. */
export interface MessageView {
  messageId: string;
  sender: { openId: string | null; name: string; isBot: boolean };
  msgType: string;
  content: string;
  mentions: Mention[];
  replyTo: { messageId: string; senderName: string; preview: string } | undefined;
  file: { key: string; name: string; size: number } | undefined;
  createdAt: number;
  updatedAt: number;
  version: number;
  rev: number;
}

function parse(content: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(content);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function mentionsOf(m: StoredMessage): Mention[] {
  if (!m.mentions) return [];
  try {
    const v: unknown = JSON.parse(m.mentions);
    return Array.isArray(v) ? (v as Mention[]) : [];
  } catch {
    return [];
  }
}

/** One line for the chat list and reply quotes. */
export function previewOf(m: StoredMessage, fileName?: string): string {
  const c = parse(m.content);
  if (m.msg_type === 'text') {
    let text = typeof c.text === 'string' ? c.text : '';
    for (const x of mentionsOf(m)) text = text.split(x.key).join(`@${x.name}`);
    return text.slice(0, 120);
  }
  if (m.msg_type === 'interactive') {
    const header = c.header as { title?: { content?: unknown; i18n_content?: Record<string, unknown> } } | undefined;
    const t = header?.title;
    const title = typeof t?.content === 'string' ? t.content : typeof t?.i18n_content?.zh_cn === 'string' ? t.i18n_content.zh_cn : '消息卡片';
    return `[卡片] ${title}`.slice(0, 120);
  }
  if (m.msg_type === 'file') return `[文件] ${fileName ?? ''}`.trim();
  return `[${m.msg_type}]`;
}

export async function toViews(store: SandboxStore, rows: StoredMessage[], names: Map<string, string>): Promise<MessageView[]> {
  const fileKeys = rows.filter((r) => r.msg_type === 'file').map((r) => String(parse(r.content).file_key ?? ''));
  const files = await store.fileInfo(fileKeys.filter(Boolean));
  const parents = new Map<string, StoredMessage>();
  for (const r of rows) {
    if (r.reply_to && !parents.has(r.reply_to)) {
      const p = await store.messageById(r.reply_to);
      if (p) parents.set(r.reply_to, p);
    }
  }
  const senderName = (id: string | null) => (id ? (names.get(id) ?? id) : BOT_NAME);
  return rows.map((r) => {
    const key = r.msg_type === 'file' ? String(parse(r.content).file_key ?? '') : '';
    const info = key ? files.get(key) : undefined;
    const parent = r.reply_to ? parents.get(r.reply_to) : undefined;
    return {
      messageId: r.message_id,
      sender: { openId: r.sender, name: senderName(r.sender), isBot: r.sender === null },
      msgType: r.msg_type,
      content: r.content,
      mentions: mentionsOf(r),
      replyTo: parent ? { messageId: parent.message_id, senderName: senderName(parent.sender), preview: previewOf(parent) } : undefined,
      file: info ? { key, ...info } : undefined,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      version: r.version,
      rev: r.rev,
    };
  });
}
