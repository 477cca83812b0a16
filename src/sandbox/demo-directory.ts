import { parseCsv, tableToRecords } from '../domain/csv.js';
import { demoPledgeDeadline, pledgeYearFor } from '../domain/cycle.js';
import { localDate } from '../domain/dates.js';
import { importDirectory } from '../usecases/import-directory.js';
import { setDeadline } from '../usecases/pledge/set-deadline.js';
import type { Deps } from '../usecases/deps.js';
import type { SandboxStore } from './sandbox-store.js';

/**
 * The sandbox's demo university: a 党委 with its 创先办 office, three colleges (党委 / 党总支)
 * and their 党支部, with secretaries, leaders, admins and members, and the group chats they
 * talk in. The people are fictional. Imported through the real importDirectory use-case, so
 * the audit log and the chat bindings are what a real import makes.
 */
const ORGS = `code,name,parent_code,kind,chat_id
HENU,河南大学党委,,党委,oc_sbx_henu
HENU-CXB,校创先争优活动领导小组办公室,HENU,领导小组,
HENU-WXY,文学院党委,HENU,党委,oc_sbx_wxy
HENU-WXY-ZW,文学院中文系教工党支部,HENU-WXY,党支部,oc_sbx_wxy_zw
HENU-WXY-YJS,文学院研究生党支部,HENU-WXY,党支部,
HENU-WXY-BK,文学院本科生党支部,HENU-WXY,党支部,oc_sbx_wxy_bk
HENU-JSJ,计算机与信息工程学院党总支,HENU,党总支,oc_sbx_jsj
HENU-JSJ-JS1,计算机学院教工第一党支部,HENU-JSJ,党支部,oc_sbx_jsj_js1
HENU-JSJ-JS2,计算机学院教工第二党支部,HENU-JSJ,党支部,
HENU-JSJ-BK,计算机学院本科生党支部,HENU-JSJ,党支部,
HENU-HX,化学化工学院党委,HENU,党委,oc_sbx_hx
HENU-HX-JS,化学化工学院教工党支部,HENU-HX,党支部,oc_sbx_hx_js
HENU-HX-YJS,化学化工学院研究生党支部,HENU-HX,党支部,
`;

const PEOPLE = `open_id,name,org_code,role,mobile,email
ou_sbx_wangjianguo,王建国,HENU-CXB,admin,13903710001,
ou_sbx_wangjianguo,王建国,HENU,admin,13903710001,
ou_sbx_zhouhuimin,周慧敏,HENU-CXB,admin,13903710002,
ou_sbx_gaoweidong,高卫东,HENU,leader,13903710003,
ou_sbx_lihongmei,李红梅,HENU-WXY,leader,13903710011,
ou_sbx_lihongmei,李红梅,HENU-WXY,secretary,13903710011,
ou_sbx_zhangming,张明,HENU-WXY-ZW,secretary,13903710012,
ou_sbx_liufang,刘芳,HENU-WXY-YJS,secretary,13903710013,
ou_sbx_maxiaoyan,马晓燕,HENU-WXY-BK,secretary,13903710014,
ou_sbx_sunli,孙丽,HENU-WXY-ZW,member,13903710015,
ou_sbx_wuting,吴婷,HENU-WXY-ZW,member,13903710016,
ou_sbx_zhenghao,郑浩,HENU-WXY-YJS,member,13903710017,
ou_sbx_chenzhiqiang,陈志强,HENU-JSJ,leader,13903710021,
ou_sbx_chenzhiqiang,陈志强,HENU-JSJ,secretary,13903710021,
ou_sbx_zhaolei,赵磊,HENU-JSJ-JS1,secretary,13903710022,
ou_sbx_hejing,何静,HENU-JSJ-JS2,secretary,13903710023,
ou_sbx_huangyu,黄宇,HENU-JSJ-BK,secretary,13903710024,
ou_sbx_yangfan,杨帆,HENU-JSJ-JS1,member,13903710025,
ou_sbx_linxiao,林晓,HENU-JSJ-BK,member,13903710026,
ou_sbx_xuguoqing,徐国庆,HENU-HX,leader,13903710031,
ou_sbx_xuguoqing,徐国庆,HENU-HX,secretary,13903710031,
ou_sbx_zhulijuan,朱丽娟,HENU-HX-JS,secretary,13903710032,
ou_sbx_hujun,胡军,HENU-HX-YJS,secretary,13903710033,
ou_sbx_guochen,郭晨,HENU-HX-JS,member,13903710034,
`;

/** Group chats that exist in the demo tenant; those without a chat_id above are not bound yet. */
export const DEMO_CHATS: { chatId: string; name: string; orgCode: string }[] = [
  { chatId: 'oc_sbx_henu', name: '校党委 · 创先争优工作群', orgCode: 'HENU' },
  { chatId: 'oc_sbx_wxy', name: '文学院党委工作群', orgCode: 'HENU-WXY' },
  { chatId: 'oc_sbx_wxy_zw', name: '中文系教工党支部群', orgCode: 'HENU-WXY-ZW' },
  { chatId: 'oc_sbx_wxy_yjs', name: '文学院研究生党支部群', orgCode: 'HENU-WXY-YJS' },
  { chatId: 'oc_sbx_wxy_bk', name: '文学院本科生党支部群', orgCode: 'HENU-WXY-BK' },
  { chatId: 'oc_sbx_jsj', name: '计算机学院党总支工作群', orgCode: 'HENU-JSJ' },
  { chatId: 'oc_sbx_jsj_js1', name: '计算机教工第一党支部群', orgCode: 'HENU-JSJ-JS1' },
  { chatId: 'oc_sbx_jsj_bk', name: '计算机学院本科生党支部群', orgCode: 'HENU-JSJ-BK' },
  { chatId: 'oc_sbx_hx', name: '化学化工学院党委工作群', orgCode: 'HENU-HX' },
  { chatId: 'oc_sbx_hx_js', name: '化学化工教工党支部群', orgCode: 'HENU-HX-JS' },
];

/**
 * Seeds the demo tree when the directory is empty (a first start). Returns whether it did.
 * Every person has an open_id, so the import makes no Open API call (the server is not up yet).
 */
export async function seedDemoDirectory(deps: Deps, store: SandboxStore): Promise<boolean> {
  const any = await deps.db.selectFrom('organizations').select('id').limit(1).executeTakeFirst();
  if (any) return false;
  const result = await importDirectory(deps, {
    orgs: tableToRecords(parseCsv(ORGS)),
    people: tableToRecords(parseCsv(PEOPLE)),
    actor: 'sandbox:seed',
  });
  if (!result.ok) {
    throw new Error(`sandbox demo directory did not import: ${result.problems.map((p) => `${p.file}:${p.line} ${p.message}`).join('; ')}`);
  }
  // An example cycle around today: the university's pledge deadline, one college a few days earlier.
  const today = localDate(deps.now(), deps.timeZone);
  const year = pledgeYearFor(today);
  const due = demoPledgeDeadline(year, today);
  const earlier = new Date(`${due}T00:00:00Z`);
  earlier.setUTCDate(earlier.getUTCDate() - 5);
  const collegeDue = earlier.toISOString().slice(0, 10) > today && earlier.toISOString().startsWith(`${year}-`) ? earlier.toISOString().slice(0, 10) : due;
  for (const d of [{ orgCode: 'HENU', date: due }, { orgCode: 'HENU-WXY', date: collegeDue }]) {
    const r = await setDeadline(deps, { actor: null, orgCode: d.orgCode, year, kind: 'pledge', date: d.date });
    if (!r.ok) throw new Error(`sandbox demo deadline: ${r.reason}`);
  }
  const at = deps.now().getTime();
  for (const c of DEMO_CHATS) await store.addChat({ chatId: c.chatId, name: c.name, orgCode: c.orgCode, createdBy: null }, at);
  return true;
}
