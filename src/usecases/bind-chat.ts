import { orgByCode, orgOfChat } from '../../db/repos/directory.js';
import { appendAudit } from '../../db/repos/audit.js';
import { canActOn } from '../domain/roles.js';
import { publishInForceTo } from './pledge/publish-pledge.js';
import type { Deps } from './deps.js';
import { whoIs } from './who-is.js';

export type BindChatResult =
  | { ok: true; orgName: string; orgCode: string; previous: string | undefined; published: boolean }
  | { ok: false; reason: string };

/** Binds a group chat to an organization: only its admins or leaders (or theirs above) may. */
export async function bindChat(
  deps: Deps,
  input: { chatId: string; actorOpenId: string; orgCode: string | undefined },
): Promise<BindChatResult> {
  if (!input.orgCode) return { ok: false, reason: '请在命令后写上组织编码，例如：@践诺助手 绑定 HENU-ZXY' };
  const org = await orgByCode(deps.db, input.orgCode);
  if (!org) return { ok: false, reason: `没有编码为「${input.orgCode.slice(0, 64)}」的组织，请核对编码（可发「我的」查看你所在组织的编码）。` };
  const me = await whoIs(deps, input.actorOpenId);
  if (!canActOn(me.grants, org.path, ['admin', 'leader'])) {
    return { ok: false, reason: `只有「${org.name}」或其上级组织的管理员、领导可以绑定本群。` };
  }
  const before = await orgOfChat(deps.db, input.chatId);
  if (before?.id === org.id) return { ok: true, orgName: org.name, orgCode: org.code, previous: undefined, published: false };
  // Rebinding takes the group away from its organization: that needs rights there too.
  if (before && !canActOn(me.grants, before.path, ['admin', 'leader'])) {
    return { ok: false, reason: `本群已绑定「${before.name}」，只有它或其上级组织的管理员、领导可以改绑。` };
  }
  const now = deps.now();
  await deps.db
    .insertInto('chat_bindings')
    .values({ chat_id: input.chatId, org_id: org.id, bound_by: input.actorOpenId, bound_at: now.toISOString() })
    .onConflict((oc) => oc.column('chat_id').doUpdateSet({ org_id: org.id, bound_by: input.actorOpenId, bound_at: now.toISOString() }))
    .execute();
  await appendAudit(
    deps.db,
    { actor: input.actorOpenId, action: 'chat.bind', entity: 'chat_binding', entityId: input.chatId, before: before ? { org: before.code } : null, after: { org: org.code } },
    now,
  );
  // The pledge in force is published here now: approved before the group was bound, it had
  // nowhere to go (or went to the organization's other groups only).
  const published = await publishInForceTo(deps, org.id, input.chatId);
  return { ok: true, orgName: org.name, orgCode: org.code, previous: before?.name, published };
}
