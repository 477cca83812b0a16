/**
 * Feishu turns `<at user_id="…"></at>` in a text message into a mention (`all`: everyone in the
 * group). The bot's texts mention nobody, and words a user typed are quoted back in some of them
 * (「看不懂「…」」), so a tag there is shown as typed, not obeyed: one place for every text.
 * (Reminders that name people will need a mention of their own, not text carrying a tag.)
 * https://open.feishu.cn/document/server-docs/im-v1/message-content-description/create_json
 */
export const withoutMentions = (text: string): string => text.replace(/<(\/?at\b)/gi, '＜$1');
