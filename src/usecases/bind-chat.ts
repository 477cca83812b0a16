import { orgByCode, orgOfChat } from '../../db/repos/directory.js';
import { appendAudit } from '../../db/repos/audit.js';
import { canActOn } from '../domain/roles.js';
import { pledgeInForce } from './pledge/publish-pledge.js';
import type { PledgeContext } from './pledge/pledge-context.js';
import type { Deps } from './deps.js';
import { whoIs } from './who-is.js';

export type BindChatResult =
  /**
   * `toPublish`: the organization's pledge in force, for the caller to publish in the group once
   * it has said the group is bound (so the group reads that first). Also when the group was bound
   * already: a bind cut short before its publication is finished by sending 绑定 again (the
   * publication is keyed by version and chat, so nothing goes out twice).
   */
  | { ok: true; orgName: string; orgCode: string; previous: string | undefined; changed: boolean; toPublish: PledgeContext | undefined }
  | { ok: false; reason: string };

/** Binds a group chat to an organization: only its admins or leaders (or theirs above) may. */
export async function bindChat(
  deps: Deps,
  input: { chatId: string; actorOpenId: string; orgCode: string | undefined; confirmed?: boolean },
): Promise<BindChatResult> {
  if (!input.orgCode) return { ok: false, reason: await bindChoices(deps, input.actorOpenId) };
  const org = await orgByCode(deps.db, input.orgCode);
  if (!org) return { ok: false, reason: `没有编码为「${input.orgCode.slice(0, 64)}」的组织，请核对编码（私聊我发送「我的」可查看你所在组织的编码）。` };
  const me = await whoIs(deps, input.actorOpenId);
  if (!canActOn(me.grants, org.path, ['admin', 'leader'])) {
    return { ok: false, reason: `只有「${org.name}」或其上级组织的管理员、领导可以绑定本群：请他们在本群发送「@践诺助手 绑定 ${org.code}」。` };
  }
  const before = await orgOfChat(deps.db, input.chatId);
  if (before?.id === org.id) return { ok: true, orgName: org.name, orgCode: org.code, previous: undefined, changed: false, toPublish: await pledgeInForce(deps, org.id) };
  // Rebinding takes the group away from its organization: that needs rights there too.
  if (before && !canActOn(me.grants, before.path, ['admin', 'leader'])) {
    return { ok: false, reason: `本群已绑定「${before.name}」，只有它或其上级组织的管理员、领导可以改绑。` };
  }
  // One message would move the group away from its organization (a slip of a code does it): asked first.
  if (before && !input.confirmed) {
    return { ok: false, reason: `本群已绑定「${before.name}」。改绑到「${org.name}」后，「${before.name}」的提醒和公示不再发到本群。确认请发送「@践诺助手 绑定 ${org.code} 确认」。` };
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
  // The pledge in force is to be published here: approved before the group was bound, it had
  // nowhere to go (or went to the organization's other groups only).
  return { ok: true, orgName: org.name, orgCode: org.code, previous: before?.name, changed: true, toPublish: await pledgeInForce(deps, org.id) };
}

const CHOICES_SHOWN = 8;

/**
 * A bare 绑定: the organizations this person may bind a group to (those they lead or administer,
 * and the ones directly below), each with the command to send — nobody has to know a code.
 */
async function bindChoices(deps: Deps, openId: string): Promise<string> {
  const me = await whoIs(deps, openId);
  const scopes = me.grants.filter((g) => g.role === 'admin' || g.role === 'leader');
  if (scopes.length === 0) return '只有组织的管理员或领导可以绑定群。发送「@践诺助手 帮助」查看你能用的命令。';
  const choices = new Map<string, string>();
  for (const g of scopes) {
    // The organization and the ones directly below it, no more than are shown (not a whole province).
    const near = await deps.db
      .selectFrom('organizations')
      .select(['code', 'name'])
      .where((eb) => eb.or([eb('id', '=', g.orgId), eb('parent_id', '=', g.orgId)]))
      .orderBy('path')
      .limit(CHOICES_SHOWN + 1)
      .execute();
    for (const o of near) choices.set(o.code, o.name);
  }
  const lines = [...choices].slice(0, CHOICES_SHOWN).map(([code, name]) => `· ${name}：发送「@践诺助手 绑定 ${code}」`);
  const more = choices.size > CHOICES_SHOWN ? '\n……（只列出前几个；其他组织的编码见组织名录）' : '';
  return `请写明把本群绑定到哪个组织：\n${lines.join('\n')}${more}`;
}
