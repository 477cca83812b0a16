import ExcelJS from 'exceljs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { holdersOf, orgByCode } from '../db/repos/directory.js';
import { openSqlite } from '../db/open-sqlite.js';
import { parseCsv, tableToRecords } from '../src/domain/csv.js';
import { importDirectory } from '../src/usecases/import-directory.js';
import { startHarness, type Harness } from './helpers/harness.js';

const table = (csv: string) => tableToRecords(parseCsv(csv));
const ORGS = `code,name,parent_code,kind,chat_id
U,大学党委,,党委,
U-A,文学院党委,U,党委,oc_a
U-A-1,中文系党支部,U-A,党支部,
`;
const PEOPLE = `open_id,name,org_code,role,mobile,email
ou_admin,王建国,U,admin,,
ou_lead,李红梅,U-A,leader,,
ou_sec1,张明,U-A-1,secretary,,
`;

describe('importDirectory', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({
      users: [
        { openId: 'ou_by_mobile', mobile: '13800000001' },
        { openId: 'ou_by_email', email: 'li@example.cn' },
      ],
    });
  });
  afterEach(async () => {
    await h.close();
  });

  const run = (orgs: string, people: string) => importDirectory(h.deps, { orgs: table(orgs), people: table(people), actor: 'test' });
  const count = async (t: 'organizations' | 'people' | 'roles' | 'chat_bindings' | 'audit_log') =>
    Number((await h.deps.db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const nothingImported = async () => {
    for (const t of ['organizations', 'people', 'roles', 'chat_bindings', 'audit_log'] as const) expect(await count(t), t).toBe(0);
  };

  it('imports a tree, its people and roles, with the org paths and an audit row per change', async () => {
    const r = await run(ORGS, PEOPLE);
    expect(r).toEqual({ ok: true, summary: { orgsCreated: 3, orgsUpdated: 0, peopleCreated: 3, peopleUpdated: 0, rolesAdded: 3, rolesRemoved: 0, chatsBound: 1 }, removed: [], reviewCardsSent: 0, unreviewed: [] });
    const u = await orgByCode(h.deps.db, 'U');
    const leaf = await orgByCode(h.deps.db, 'U-A-1');
    expect(leaf!.path.startsWith(u!.path)).toBe(true);
    expect(leaf!.depth).toBe(2);
    expect(await count('audit_log')).toBe(3 + 3 + 3 + 1);
  });

  it('reports every bad row with its line number and imports nothing', async () => {
    const orgs = `code,name,parent_code,kind,chat_id
U,大学党委,,党委,
U-B,,U,党委,
U-C,某党委,NOPE,不是类别,
`;
    const people = `open_id,name,org_code,role,mobile,email
ou_a,甲,U,admin,,
ou_b,乙,U-X,admin,,
not-an-open-id,丙,U,boss,,
,丁,U,member,,
`;
    const r = await run(orgs, people);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const at = r.problems.map((p) => `${p.file}:${p.line}`);
    expect(at).toEqual(expect.arrayContaining(['orgs:3', 'orgs:4', 'people:3', 'people:4', 'people:5']));
    expect(at).not.toContain('orgs:2');
    expect(at).not.toContain('people:2');
    expect(r.problems.find((p) => p.file === 'orgs' && p.line === 4)!.message).toMatch(/kind|parent_code/);
    await nothingImported();
  });

  it('one group chat given to two organizations is refused at the second row', async () => {
    const orgs = `code,name,parent_code,kind,chat_id
U,大学党委,,党委,oc_same
U-A,文学院党委,U,党委,oc_same
`;
    const r = await run(orgs, PEOPLE.split('\n').slice(0, 3).join('\n'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([{ file: 'orgs', line: 3, message: expect.stringContaining('oc_same') }]);
    await nothingImported();
  });

  it('re-importing updates in place', async () => {
    await run(ORGS, PEOPLE);
    const before = await h.deps.db.selectFrom('organizations').select(['id', 'code']).orderBy('id').execute();
    const r = await run(ORGS.replace('文学院党委', '文学院党委（新）'), PEOPLE.replace('李红梅', '李红'));
    expect(r).toMatchObject({ ok: true, summary: { orgsCreated: 0, orgsUpdated: 1, peopleCreated: 0, peopleUpdated: 1, rolesAdded: 0, rolesRemoved: 0, chatsBound: 0 } });
    expect(await h.deps.db.selectFrom('organizations').select(['id', 'code']).orderBy('id').execute()).toEqual(before);
    expect((await orgByCode(h.deps.db, 'U-A'))!.name).toBe('文学院党委（新）');
    expect(await count('people')).toBe(3);
    // The same file again: nothing to do.
    expect(await run(ORGS.replace('文学院党委', '文学院党委（新）'), PEOPLE.replace('李红梅', '李红'))).toMatchObject({
      ok: true,
      summary: { orgsCreated: 0, orgsUpdated: 0, peopleCreated: 0, peopleUpdated: 0, rolesAdded: 0, rolesRemoved: 0, chatsBound: 0 },
    });
  });

  it('a renamed organization writes an org.update audit row holding the old name before and the new one after', async () => {
    await run(ORGS, PEOPLE);
    const last = Number((await h.deps.db.selectFrom('audit_log').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()).id);
    expect((await run(ORGS.replace('文学院党委', '文学院党委（新）'), PEOPLE)).ok).toBe(true);
    const rows = await h.deps.db.selectFrom('audit_log').selectAll().where('id', '>', last).execute();
    expect(rows.map((r) => [r.action, r.entity, r.entity_id, r.actor])).toEqual([['org.update', 'organization', 'U-A', 'test']]);
    const [row] = rows;
    expect(JSON.parse(row!.before!)).toEqual({ name: '文学院党委', kind: 'committee', parent: 'U' });
    expect(JSON.parse(row!.after!)).toEqual({ name: '文学院党委（新）', kind: 'committee', parent: 'U' });
  });

  it('moving an organization moves its whole subtree', async () => {
    await run(ORGS + 'V,另一党委,,党委,\n', PEOPLE);
    await run(ORGS.replace('U-A,文学院党委,U,', 'U-A,文学院党委,V,') + 'V,另一党委,,党委,\n', PEOPLE);
    const v = await orgByCode(h.deps.db, 'V');
    const leaf = await orgByCode(h.deps.db, 'U-A-1');
    expect(leaf!.path.startsWith(v!.path)).toBe(true);
    expect(leaf!.depth).toBe(2);
  });

  it("a new secretary replaces the old one", async () => {
    await run(ORGS, PEOPLE);
    const r = await run(ORGS, `open_id,name,org_code,role,mobile,email
ou_sec2,赵新,U-A-1,secretary,,
`);
    expect(r).toMatchObject({ ok: true, summary: { rolesAdded: 1, rolesRemoved: 1 }, removed: ['张明：书记（U-A-1），书记已由新任接替'] });
    const leaf = await orgByCode(h.deps.db, 'U-A-1');
    expect((await holdersOf(h.deps.db, leaf!.id, 'secretary')).map((p) => p.open_id)).toEqual(['ou_sec2']);
  });

  it('one who left is listed with role none and loses every role (audited); one merely missing from a file keeps theirs', async () => {
    await run(ORGS, PEOPLE);
    const lead = await orgByCode(h.deps.db, 'U-A');
    // A file of one branch only: the college's leader is not in it, and stays.
    expect(await run(ORGS, 'open_id,name,org_code,role\nou_sec1,张明,U-A-1,secretary\n')).toMatchObject({ ok: true, summary: { rolesRemoved: 0 } });
    expect((await holdersOf(h.deps.db, lead!.id, 'leader')).map((p) => p.open_id)).toEqual(['ou_lead']);
    const r = await run(ORGS, 'open_id,name,org_code,role\nou_lead,李红梅,U-A,none\n');
    expect(r).toMatchObject({ ok: true, summary: { rolesAdded: 0, rolesRemoved: 1 }, removed: ['李红梅：领导（U-A）'] });
    expect(await holdersOf(h.deps.db, lead!.id, 'leader')).toEqual([]);
    const removed = await h.deps.db.selectFrom('audit_log').select(['action', 'before']).where('action', '=', 'role.remove').execute();
    expect(removed.map((a) => JSON.parse(a.before!) as { role: string; org: string })).toEqual([expect.objectContaining({ role: 'leader', org: 'U-A' })]);
    const bad = await run(ORGS, 'open_id,name,org_code,role\nou_lead,李红梅,U-A,leaver\n');
    expect(bad).toMatchObject({ ok: false, problems: [{ file: 'people', line: 2, message: 'role「leaver」无效，应为 secretary/leader/admin/member（离任的人写 none：取消其全部角色）' }] });
  });

  it('resolves people given only a mobile or an email through the contact API', async () => {
    const r = await run(ORGS, `open_id,name,org_code,role,mobile,email
,孙一,U-A-1,member,13800000001,
,李二,U-A-1,member,,li@example.cn
`);
    expect(r).toMatchObject({ ok: true, summary: { peopleCreated: 2 } });
    const people = await h.deps.db.selectFrom('people').select(['open_id', 'name', 'mobile', 'email']).orderBy('name').execute();
    expect(people).toEqual(
      expect.arrayContaining([
        { open_id: 'ou_by_mobile', name: '孙一', mobile: '13800000001', email: null },
        { open_id: 'ou_by_email', name: '李二', mobile: null, email: 'li@example.cn' },
      ]),
    );
    expect(h.emu.requests.some((q) => q.path === '/open-apis/contact/v3/users/batch_get_id')).toBe(true);
  });

  it('falls back to the email when the mobile is not found', async () => {
    const r = await run(ORGS, `open_id,name,org_code,role,mobile,email
,李二,U-A-1,member,13900000000,li@example.cn
`);
    expect(r).toMatchObject({ ok: true });
    expect((await h.deps.db.selectFrom('people').select('open_id').executeTakeFirstOrThrow()).open_id).toBe('ou_by_email');
  });

  it('a contact API refusal is one clear problem naming the scope, and nothing is imported', async () => {
    h.emu.faults.push({ path: '/contact/v3/users/batch_get_id', status: 400, body: { code: 99991672, msg: 'Access denied' } });
    const r = await run(ORGS, `open_id,name,org_code,role,mobile,email
ou_x,甲,U-A-1,member,,
,孙一,U-A-1,member,13800000001,
`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([expect.objectContaining({ file: 'people', line: 3 })]);
    expect(r.problems[0]!.message).toContain('contact:user.id:readonly');
    expect(r.problems[0]!.message).toContain('99991672');
    await nothingImported();
  });

  it('an unknown mobile is reported in the same run as the other rows\' problems', async () => {
    const r = await run(ORGS, `open_id,name,org_code,role,mobile,email
,无名,U-A-1,member,13999999999,
ou_y,乙,NOPE,member,,
,丙,U-A-1,member,12,
`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.file, p.line])).toEqual([
      ['people', 2],
      ['people', 3],
      ['people', 4],
    ]);
    expect(r.problems[0]!.message).toContain('13999999999');
    expect(r.problems[2]!.message).toContain('不是有效手机号');
    await nothingImported();
  });

  it('an unresolvable mobile is a problem on its line, and nothing is imported', async () => {
    const r = await run(ORGS, `open_id,name,org_code,role,mobile,email
,孙一,U-A-1,member,13800000001,
,无名,U-A-1,member,13999999999,
`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([expect.objectContaining({ file: 'people', line: 3 })]);
    expect(r.problems[0]!.message).toContain('13999999999');
    await nothingImported();
  });

  it('refuses cycles, in the file or through the tree already imported', async () => {
    const r = await run(`code,name,parent_code,kind
A,甲,B,党委
B,乙,A,党委
`, 'open_id,name,org_code,role\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.line)).toEqual(expect.arrayContaining([2, 3]));
    await nothingImported();

    await run(ORGS, PEOPLE);
    const audit = await count('audit_log');
    const r2 = await run(`code,name,parent_code,kind
U,大学党委,U-A-1,党委
`, 'open_id,name,org_code,role\n');
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.problems[0]).toMatchObject({ file: 'orgs', line: 2 });
    expect((await orgByCode(h.deps.db, 'U'))!.parent_id).toBeNull();
    expect(await count('audit_log')).toBe(audit);
  });
});

describe('npm run admin -- import', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pledge-import-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/admin.ts', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: join(dir, 'db.sqlite'), LOG_LEVEL: 'error' },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('reads .xlsx files; a bad row stops it with exit 1 and its line, imports nothing; fixed, it imports', async () => {
    const sheet = async (name: string, rows: (string | number)[][]) => {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('Sheet1');
      for (const r of rows) ws.addRow(r);
      await wb.xlsx.writeFile(join(dir, name));
      return join(dir, name);
    };
    const orgs = await sheet('orgs.xlsx', [
      ['code', 'name', 'parent_code', 'kind', 'chat_id'],
      ['U', '大学党委', '', '党委', ''],
      ['U-A', '文学院党委', 'U', '党委', 'oc_a'],
    ]);
    const bad = await sheet('bad.xlsx', [
      ['open_id', 'name', 'org_code', 'role', 'mobile', 'email'],
      ['ou_admin', '王建国', 'U', 'admin', '', ''],
      ['ou_x', '某人', 'U-A', 'boss', '', ''],
    ]);
    const failed = admin('import', orgs, bad);
    expect(failed.status, failed.stderr).toBe(1);
    expect(failed.stderr).toContain('第 3 行');
    expect(failed.stderr).toContain('boss');

    const check = openSqlite(join(dir, 'db.sqlite'));
    try {
      expect(await check.db.selectFrom('organizations').selectAll().execute()).toHaveLength(0);
    } finally {
      await check.close();
    }

    const good = await sheet('people.xlsx', [
      ['open_id', 'name', 'org_code', 'role', 'mobile', 'email'],
      ['ou_admin', '王建国', 'U', 'admin', '', ''],
      ['ou_sec', '张明', 'U-A', 'secretary', 13800000001, ''],
    ]);
    const ok = admin('import', orgs, good);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('导入完成');
    const after = openSqlite(join(dir, 'db.sqlite'));
    try {
      expect((await after.db.selectFrom('organizations').select('code').orderBy('code').execute()).map((o) => o.code)).toEqual(['U', 'U-A']);
      expect(await after.db.selectFrom('people').select(['open_id', 'mobile']).orderBy('open_id').execute()).toEqual([
        { open_id: 'ou_admin', mobile: null },
        { open_id: 'ou_sec', mobile: '13800000001' },
      ]);
    } finally {
      await after.close();
    }
  });
});
