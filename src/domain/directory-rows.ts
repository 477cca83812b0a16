import { parseOrgKind, parseRole, type OrgKind, type Role } from './roles.js';

export interface OrgRow {
  line: number;
  code: string;
  name: string;
  parentCode: string | null;
  kind: OrgKind;
  chatId: string | null;
}

export interface PersonRow {
  line: number;
  openId: string | null;
  name: string;
  orgCode: string;
  /** `none`: the person is listed to hold no role (one who left): every role they held is removed. */
  role: Role | 'none';
  mobile: string | null;
  email: string | null;
}

export interface RowProblem {
  file: 'orgs' | 'people';
  line: number;
  message: string;
}

type Rec = { line: number; values: Record<string, string> };

const ORG_HEADER = ['code', 'name', 'parent_code', 'kind'];
const PEOPLE_HEADER = ['open_id', 'name', 'org_code', 'role'];
/**
 * A person listed holds exactly the roles the file gives them; one who left is listed with role
 * `none` (无, 离任), so that the file says so — a person merely missing from a file keeps their
 * roles, as a file may well cover one college only.
 */
const NONE = new Set(['none', '无', '离任']);
const MAX_NAME = 100;

const orNull = (s: string | undefined): string | null => (s && s !== '' ? s : null);

/**
 * Validates both files together, before anything is written: every problem with its line
 * number. A people file may name organizations already in the database.
 */
export function validateDirectory(
  orgs: { header: string[]; records: Rec[] },
  people: { header: string[]; records: Rec[] },
  /** Organizations already in the database: code → parent code. */
  existing: ReadonlyMap<string, string | null>,
): { orgs: OrgRow[]; people: PersonRow[]; problems: RowProblem[] } {
  const problems: RowProblem[] = [];
  for (const h of ORG_HEADER) if (!orgs.header.includes(h)) problems.push({ file: 'orgs', line: 1, message: `缺少列 ${h}` });
  for (const h of PEOPLE_HEADER) if (!people.header.includes(h)) problems.push({ file: 'people', line: 1, message: `缺少列 ${h}` });
  if (problems.length) return { orgs: [], people: [], problems };

  const orgRows: OrgRow[] = [];
  const seen = new Map<string, number>();
  /** A group chat is bound to one organization: the same chat_id twice would leave one without it. */
  const chatLine = new Map<string, number>();
  for (const { line, values: v } of orgs.records) {
    const p = (message: string) => problems.push({ file: 'orgs', line, message });
    const code = v.code ?? '';
    const kind = parseOrgKind(v.kind ?? '');
    if (!code) p('code 不能为空');
    else if (!/^[\w.-]{1,64}$/.test(code)) p(`code「${code}」只能含字母、数字、_ . -，最长 64`);
    else if (seen.has(code)) p(`code「${code}」与第 ${seen.get(code)} 行重复`);
    if (!v.name) p('name 不能为空');
    else if (v.name.length > MAX_NAME) p(`name 超过 ${MAX_NAME} 字`);
    if (!kind) p(`kind「${v.kind ?? ''}」无效，应为 党委/党总支/党支部/领导小组（或 committee/general_branch/branch/office）`);
    const chatId = orNull(v.chat_id);
    if (chatId && !/^oc_\w+$/.test(chatId)) p(`chat_id「${chatId}」应以 oc_ 开头`);
    else if (chatId && chatLine.has(chatId)) p(`chat_id「${chatId}」已在第 ${chatLine.get(chatId)} 行绑定给别的组织，一个群只能绑定一个组织`);
    else if (chatId) chatLine.set(chatId, line);
    if (code) seen.set(code, line);
    if (code && v.name && kind) {
      orgRows.push({ line, code, name: v.name, parentCode: orNull(v.parent_code), kind, chatId });
    }
  }
  const known = new Set([...existing.keys(), ...seen.keys()]);
  for (const o of orgRows) {
    if (o.parentCode && !known.has(o.parentCode)) problems.push({ file: 'orgs', line: o.line, message: `上级组织 parent_code「${o.parentCode}」不存在` });
    if (o.parentCode === o.code) problems.push({ file: 'orgs', line: o.line, message: '上级组织不能是自己' });
  }
  // Cycles, through the file's rows and the existing tree (a → b → a).
  const parentOf = new Map([...existing, ...orgRows.map((o) => [o.code, o.parentCode] as const)]);
  for (const o of orgRows) {
    const visited = new Set<string>();
    let cur: string | null | undefined = o.code;
    while (cur && parentOf.has(cur)) {
      if (visited.has(cur)) {
        problems.push({ file: 'orgs', line: o.line, message: `组织「${o.code}」的上级关系形成环` });
        break;
      }
      visited.add(cur);
      cur = parentOf.get(cur);
    }
  }

  const personRows: PersonRow[] = [];
  const secretaryOf = new Map<string, number>();
  for (const { line, values: v } of people.records) {
    const p = (message: string) => problems.push({ file: 'people', line, message });
    const role = NONE.has((v.role ?? '').trim().toLowerCase()) ? 'none' : parseRole(v.role ?? '');
    const openId = orNull(v.open_id);
    const mobile = orNull(v.mobile);
    const email = orNull(v.email);
    if (!v.name) p('name 不能为空');
    else if (v.name.length > MAX_NAME) p(`name 超过 ${MAX_NAME} 字`);
    if (!v.org_code) p('org_code 不能为空');
    else if (!known.has(v.org_code)) p(`组织 org_code「${v.org_code}」不存在`);
    if (!role) p(`role「${v.role ?? ''}」无效，应为 secretary/leader/admin/member（离任的人写 none：取消其全部角色）`);
    if (!openId && !mobile && !email) p('open_id、mobile、email 至少填一项');
    if (openId && !/^ou_\w+$/.test(openId)) p(`open_id「${openId}」应以 ou_ 开头`);
    if (mobile && !/^\+?\d{6,15}$/.test(mobile)) p(`mobile「${mobile}」不是有效手机号`);
    if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) p(`email「${email}」格式不对`);
    if (role === 'secretary' && v.org_code) {
      const prev = secretaryOf.get(v.org_code);
      if (prev !== undefined) p(`组织「${v.org_code}」的书记已在第 ${prev} 行指定，一个组织只能有一位书记`);
      else secretaryOf.set(v.org_code, line);
    }
    if (v.name && v.org_code && role && (openId || mobile || email)) {
      personRows.push({ line, openId, name: v.name, orgCode: v.org_code, role, mobile, email });
    }
  }
  return { orgs: orgRows, people: personRows, problems };
}
