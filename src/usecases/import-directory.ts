import { appendAudit } from '../../db/repos/audit.js';
import { LarkCallError } from '../lark/open-api.js';
import { validateDirectory, type PersonRow, type RowProblem } from '../domain/directory-rows.js';
import { childPath, depthOf } from '../domain/org-path.js';
import { ROLE_LABELS } from '../domain/roles.js';
import { publishInForceTo } from './pledge/publish-pledge.js';
import type { Deps } from './deps.js';
import { resendPendingReviews, type ReviewerChanges } from './pledge/resend-reviews.js';

type Table = { header: string[]; records: { line: number; values: Record<string, string> }[] };

export interface ImportSummary {
  orgsCreated: number;
  orgsUpdated: number;
  peopleCreated: number;
  peopleUpdated: number;
  rolesAdded: number;
  rolesRemoved: number;
  chatsBound: number;
}

/**
 * `removed`: each role taken away, in words. `reviewCardsSent`: review cards of waiting
 * submissions queued to reviewers the import made; `unreviewed`: organizations whose waiting
 * submission nobody may review now.
 */
export type ImportResult = { ok: true; summary: ImportSummary; removed: string[]; reviewCardsSent: number; unreviewed: string[] } | { ok: false; problems: RowProblem[] };

/** Fills in open_ids from mobile/email through the contact API; unresolved rows are problems. */
async function resolveOpenIds(deps: Deps, rows: PersonRow[]): Promise<RowProblem[]> {
  const need = rows.filter((r) => !r.openId);
  const problems: RowProblem[] = [];
  const byMobile = new Map<string, string>();
  const byEmail = new Map<string, string>();
  for (let i = 0; i < need.length; i += 50) {
    const chunk = need.slice(i, i + 50);
    const mobiles = [...new Set(chunk.filter((r) => r.mobile).map((r) => r.mobile!))];
    // Both, so a row whose mobile is unknown may still be found by its email.
    const emails = [...new Set(chunk.filter((r) => r.email).map((r) => r.email!))];
    let found: Awaited<ReturnType<Deps['lark']['resolveUserIds']>>;
    try {
      found = await deps.lark.resolveUserIds({ mobiles, emails });
    } catch (err) {
      // Usually the app lacks the contact scope, or Feishu cannot be reached: say so once, at the
      // first row that needed it, rather than dumping the raw error.
      const why = err instanceof Error ? err.message.slice(0, 200) : String(err);
      // No answer at all is a connection problem (the message says which), not the app's permissions.
      const unanswered = err instanceof LarkCallError && err.httpStatus === undefined;
      const message = unanswered
        ? `无法通过飞书通讯录按手机号/邮箱查找人员：${why}。也可以在文件中直接填写 open_id。`
        : `无法通过飞书通讯录按手机号/邮箱查找人员（${why}）。请确认应用已开通「通过手机号或邮箱获取用户 ID」权限（contact:user.id:readonly）且能连上飞书，或在文件中直接填写 open_id。`;
      return [{ file: 'people', line: chunk[0]!.line, message }];
    }
    for (const f of found) {
      if (f.openId && f.mobile) byMobile.set(f.mobile, f.openId);
      if (f.openId && f.email) byEmail.set(f.email, f.openId);
    }
  }
  for (const r of need) {
    r.openId = (r.mobile ? byMobile.get(r.mobile) : undefined) ?? (r.email ? byEmail.get(r.email) : undefined) ?? null;
    if (!r.openId) problems.push({ file: 'people', line: r.line, message: `在飞书通讯录中找不到 ${r.mobile ?? r.email}（请核对手机号/邮箱，或直接填写 open_id）` });
  }
  return problems;
}

/**
 * Imports organizations and people. Everything is validated (and every person resolved to an
 * open_id) before the first write: a file with any problem imports nothing. Writes are upserts
 * keyed by code / open_id, so re-importing updates in place and a re-run after a crash
 * completes the import (no transaction needed, which D1 lacks).
 */
export async function importDirectory(deps: Deps, input: { orgs: Table; people: Table; actor: string }): Promise<ImportResult> {
  const { db } = deps;
  const existing = await db.selectFrom('organizations').select(['id', 'code', 'name', 'kind', 'parent_id', 'path']).execute();
  const codeById = new Map(existing.map((o) => [o.id, o.code]));
  const v = validateDirectory(
    input.orgs,
    input.people,
    new Map(existing.map((o) => [o.code, o.parent_id === null ? null : (codeById.get(o.parent_id) ?? null)])),
  );
  // Looked up even when other rows have problems, so one run reports every problem at once
  // (rows with a problem of their own are not looked up: that problem comes first).
  const badPeople = new Set(v.problems.filter((p) => p.file === 'people').map((p) => p.line));
  const unresolved = await resolveOpenIds(deps, v.people.filter((r) => !badPeople.has(r.line)));
  const problems = [...v.problems, ...unresolved].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  if (problems.length) return { ok: false, problems };

  const now = deps.now();
  const at = now.toISOString();
  const audit = (action: string, entity: string, id: string | number, before: unknown, after: unknown) =>
    appendAudit(db, { actor: input.actor, action, entity, entityId: id, before, after }, now);
  const summary: ImportSummary = { orgsCreated: 0, orgsUpdated: 0, peopleCreated: 0, peopleUpdated: 0, rolesAdded: 0, rolesRemoved: 0, chatsBound: 0 };

  // Organizations: upsert by code, then (re)compute the materialized paths of the whole tree.
  const byCode = new Map(existing.map((o) => [o.code, o]));
  const changes: ReviewerChanges = { leadersAt: new Set(), adminsAt: new Set(), moved: new Set() };
  for (const o of v.orgs) {
    const prev = byCode.get(o.code);
    if (!prev) {
      const r = await db.insertInto('organizations').values({ code: o.code, name: o.name, kind: o.kind, parent_id: null, path: '', depth: 0, updated_at: at }).returning('id').executeTakeFirstOrThrow();
      byCode.set(o.code, { id: r.id, code: o.code, name: o.name, kind: o.kind, parent_id: null, path: '' });
      summary.orgsCreated++;
      await audit('org.create', 'organization', o.code, null, { name: o.name, kind: o.kind, parent: o.parentCode });
    }
  }
  const parentIdOf = new Map<number, number | null>(existing.map((o) => [o.id, o.parent_id]));
  for (const o of v.orgs) {
    const cur = byCode.get(o.code)!;
    const parentId = o.parentCode ? byCode.get(o.parentCode)!.id : null;
    parentIdOf.set(cur.id, parentId);
    const changed = cur.name !== o.name || cur.kind !== o.kind || cur.parent_id !== parentId;
    if (changed) {
      if (cur.path !== '' && cur.parent_id !== parentId) changes.moved.add(cur.id);
      await db.updateTable('organizations').set({ name: o.name, kind: o.kind, parent_id: parentId, updated_at: at }).where('id', '=', cur.id).execute();
      if (cur.path !== '') {
        summary.orgsUpdated++;
        const parentCode = [...byCode.values()].find((x) => x.id === cur.parent_id)?.code ?? null;
        await audit('org.update', 'organization', o.code, { name: cur.name, kind: cur.kind, parent: parentCode }, { name: o.name, kind: o.kind, parent: o.parentCode });
      }
    }
  }
  await recomputePaths(deps, parentIdOf, new Map([...byCode.values()].map((o) => [o.id, o.path])));

  // Chat bindings named in the organizations file.
  for (const o of v.orgs) {
    if (!o.chatId) continue;
    const orgId = byCode.get(o.code)!.id;
    const before = await db.selectFrom('chat_bindings').select('org_id').where('chat_id', '=', o.chatId).executeTakeFirst();
    if (before?.org_id === orgId) continue;
    await db.insertInto('chat_bindings').values({ chat_id: o.chatId, org_id: orgId, bound_by: input.actor, bound_at: at })
      .onConflict((oc) => oc.column('chat_id').doUpdateSet({ org_id: orgId, bound_by: input.actor, bound_at: at })).execute();
    summary.chatsBound++;
    await audit('chat.bind', 'chat_binding', o.chatId, before ? { org_id: before.org_id } : null, { org: o.code });
    await publishInForceTo(deps, orgId, o.chatId); // as 绑定 in the group does (bind-chat.ts)
  }

  // People: upsert by open_id.
  const personIds = new Map<string, number>();
  for (const p of v.people) {
    const openId = p.openId!;
    if (personIds.has(openId)) continue;
    const prev = await db.selectFrom('people').selectAll().where('open_id', '=', openId).executeTakeFirst();
    const next = { name: p.name, mobile: p.mobile ?? prev?.mobile ?? null, email: p.email ?? prev?.email ?? null };
    if (!prev) {
      const r = await db.insertInto('people').values({ open_id: openId, ...next, updated_at: at }).returning('id').executeTakeFirstOrThrow();
      personIds.set(openId, r.id);
      summary.peopleCreated++;
      await audit('person.create', 'person', openId, null, next);
    } else {
      personIds.set(openId, prev.id);
      if (prev.name !== next.name || prev.mobile !== next.mobile || prev.email !== next.email) {
        await db.updateTable('people').set({ ...next, updated_at: at }).where('id', '=', prev.id).execute();
        summary.peopleUpdated++;
        await audit('person.update', 'person', openId, { name: prev.name, mobile: prev.mobile, email: prev.email }, next);
      }
    }
  }

  // Roles: each listed person holds exactly the roles the file gives them; an organization's
  // new secretary replaces the old one (the pledge stays with the organization).
  const wanted = new Map<number, Set<string>>();
  for (const p of v.people) {
    const id = personIds.get(p.openId!)!;
    const orgId = byCode.get(p.orgCode)!.id;
    const roles = wanted.get(id) ?? wanted.set(id, new Set()).get(id)!;
    if (p.role !== 'none') roles.add(`${orgId}|${p.role}`);
  }
  const codeOfId = new Map([...byCode.values()].map((o) => [o.id, o.code]));
  const removed: string[] = [];
  const removeRole = async (personId: number, orgId: number, role: string, why: string) => {
    await db.deleteFrom('roles').where('person_id', '=', personId).where('org_id', '=', orgId).where('role', '=', role).execute();
    summary.rolesRemoved++;
    if (role === 'leader') changes.leadersAt.add(orgId);
    if (role === 'admin') changes.adminsAt.add(orgId);
    const who = await db.selectFrom('people').select('name').where('id', '=', personId).executeTakeFirst();
    const roleName = (ROLE_LABELS as Record<string, string>)[role] ?? role;
    removed.push(`${who?.name ?? personId}：${roleName}（${codeOfId.get(orgId) ?? orgId}）${why === 'secretary handed over' ? '，书记已由新任接替' : ''}`);
    await audit('role.remove', 'role', `${personId}:${codeOfId.get(orgId)}:${role}`, { role, org: codeOfId.get(orgId), reason: why }, null);
  };
  for (const [personId, roles] of wanted) {
    const held = await db.selectFrom('roles').select(['org_id', 'role']).where('person_id', '=', personId).execute();
    for (const h of held) if (!roles.has(`${h.org_id}|${h.role}`)) await removeRole(personId, h.org_id, h.role, 'not in import');
    for (const key of roles) {
      const [orgId, role] = key.split('|') as [string, string];
      if (held.some((h) => `${h.org_id}|${h.role}` === key)) continue;
      if (role === 'secretary') {
        const others = await db.selectFrom('roles').select('person_id').where('org_id', '=', Number(orgId)).where('role', '=', 'secretary').where('person_id', '!=', personId).execute();
        for (const o of others) await removeRole(o.person_id, Number(orgId), 'secretary', 'secretary handed over');
      }
      await db.insertInto('roles').values({ person_id: personId, org_id: Number(orgId), role }).onConflict((oc) => oc.doNothing()).execute();
      summary.rolesAdded++;
      if (role === 'leader') changes.leadersAt.add(Number(orgId));
      if (role === 'admin') changes.adminsAt.add(Number(orgId));
      await audit('role.add', 'role', `${personId}:${codeOfId.get(Number(orgId))}:${role}`, null, { role, org: codeOfId.get(Number(orgId)) });
    }
  }
  const resent = await resendPendingReviews(deps, changes);
  return { ok: true, summary, removed, reviewCardsSent: resent.cards, unreviewed: resent.unreviewed };
}

/** Paths from the parent links; only rows whose path changed are written. */
async function recomputePaths(deps: Deps, parentIdOf: Map<number, number | null>, pathOf: Map<number, string>): Promise<void> {
  const computed = new Map<number, string>();
  const compute = (id: number, guard = 0): string => {
    const hit = computed.get(id);
    if (hit) return hit;
    if (guard > 64) throw new Error('organization tree too deep or cyclic');
    const parent = parentIdOf.get(id) ?? null;
    const p = childPath(parent === null ? null : compute(parent, guard + 1), id);
    computed.set(id, p);
    return p;
  };
  for (const id of parentIdOf.keys()) {
    const p = compute(id);
    if (pathOf.get(id) !== p) {
      await deps.db.updateTable('organizations').set({ path: p, depth: depthOf(p) }).where('id', '=', id).execute();
    }
  }
}
