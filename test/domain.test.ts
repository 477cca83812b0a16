import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md } from '../cards/card-kit.js';
import { backoffMs, MAX_ATTEMPTS } from '../src/domain/backoff.js';
import { aesKeyOf, decryptEvent, encryptEvent, eventDecrypter, signBody } from '../src/lark/crypto.js';
import { parseCsv, parseCsvWithLines, tableToRecords } from '../src/domain/csv.js';
import { chineseDateTime, localDate, parseInstant, zoneOffsetMinutes } from '../src/domain/dates.js';
import { validateDirectory } from '../src/domain/directory-rows.js';
import { childPath, depthOf, subtreeUpperBound } from '../src/domain/org-path.js';
import { feishuLimits, RateLimiter } from '../src/domain/rate-limiter.js';
import { reviewingOrgId } from '../src/domain/pledge-rules.js';
import { canActOn, isWithin, type Grant } from '../src/domain/roles.js';

describe('RateLimiter (sliding window)', () => {
  it('lets 5 through to one chat, then none until a second after the first', () => {
    const rl = new RateLimiter(() => ({ perSecond: 5, burst: 5 }));
    for (let i = 0; i < 5; i++) expect(rl.tryTake(['chat:a'], 1000 + i)).toBe(true);
    expect(rl.tryTake(['chat:a'], 1005)).toBe(false);
    expect(rl.waitMs(['chat:a'], 1005)).toBe(995);
    expect(rl.tryTake(['chat:a'], 1999)).toBe(false);
    expect(rl.tryTake(['chat:a'], 2000)).toBe(true);
    expect(rl.tryTake(['chat:a'], 2000)).toBe(false); // the second take was at 1001
    expect(rl.tryTake(['chat:b'], 2000)).toBe(true); // another chat has its own window
  });

  it('never lets more than `burst` through within any window, whatever the timing', () => {
    const rl = new RateLimiter(() => ({ perSecond: 5, burst: 5 }));
    const taken: number[] = [];
    let seed = 7;
    for (let t = 0; t < 10_000; t += 1 + (seed = (seed * 48271) % 2147483647) % 60) if (rl.tryTake(['k'], t)) taken.push(t);
    expect(taken.length).toBeGreaterThan(40);
    for (let i = 0; i + 5 < taken.length; i++) expect(taken[i + 5]! - taken[i]!).toBeGreaterThanOrEqual(1000);
  });

  it('takes from every key or from none', () => {
    const rl = new RateLimiter((k) => (k === 'app' ? { perSecond: 2, burst: 2 } : { perSecond: 5, burst: 5 }));
    expect(rl.tryTake(['app', 'chat:a'], 0)).toBe(true);
    expect(rl.tryTake(['app', 'chat:b'], 0)).toBe(true);
    expect(rl.tryTake(['app', 'chat:c'], 0)).toBe(false); // the app window is full
    expect(rl.waitMs(['chat:a'], 0)).toBe(0); // chat:a lost nothing to the refused take
    for (let i = 0; i < 4; i++) expect(rl.tryTake(['chat:a'], 1)).toBe(true);
    expect(rl.tryTake(['chat:a'], 1)).toBe(false);
  });

  it('a slot counts from when its request was answered', () => {
    const rl = new RateLimiter(() => ({ perSecond: 2, burst: 2 }));
    expect(rl.tryTake(['k'], 0)).toBe(true);
    expect(rl.tryTake(['k'], 10)).toBe(true);
    rl.complete(['k'], 0, 300); // the first was in flight 300 ms
    expect(rl.waitMs(['k'], 1000)).toBe(10); // the window now starts from the second take
    expect(rl.tryTake(['k'], 1010)).toBe(true);
    expect(rl.tryTake(['k'], 1010)).toBe(false);
    expect(rl.waitMs(['k'], 1010)).toBe(290);
  });

  it('a drained key sends nothing for the time Feishu asked', () => {
    const rl = new RateLimiter(feishuLimits);
    rl.drain('app', 0, 1000);
    expect(rl.tryTake(['app', 'chat:a'], 999)).toBe(false);
    expect(rl.waitMs(['app'], 500)).toBe(500);
    expect(rl.tryTake(['app', 'chat:a'], 1000)).toBe(true);
  });

  it("keeps Feishu's limits: 5/s per chat, 50/s and 1000/min per app", () => {
    const rl = new RateLimiter(feishuLimits);
    let sent = 0;
    for (let t = 0; t < 60_000; t += 10) for (let c = 0; c < 100; c++) if (rl.tryTake(['app', `chat:${c}`], t)) sent++;
    expect(sent).toBe(1000);
    const chat = new RateLimiter(feishuLimits);
    let toOne = 0;
    for (let t = 0; t < 1000; t += 5) if (chat.tryTake(['app', 'chat:x'], t)) toOne++;
    expect(toOne).toBe(5);
  });
});

describe('backoffMs', () => {
  it('doubles from 2 s with ±25 % jitter, capped at 10 min', () => {
    expect(backoffMs(1, 0.5)).toBe(2000);
    expect(backoffMs(2, 0.5)).toBe(4000);
    expect(backoffMs(3, 0.5)).toBe(8000);
    expect(backoffMs(1, 0)).toBe(1500);
    expect(backoffMs(1, 0.999)).toBeLessThan(2500);
    expect(backoffMs(30, 0.5)).toBe(600_000);
    expect(backoffMs(30, 0.999)).toBeLessThan(750_000);
    expect(MAX_ATTEMPTS).toBeGreaterThan(5);
  });
});

describe('csv', () => {
  it('reads quotes, doubled quotes, commas and newlines in quotes', () => {
    expect(parseCsv('a,"b,c","say ""hi""","two\nlines",')).toEqual([['a', 'b,c', 'say "hi"', 'two\nlines', '']]);
  });

  it('reads CRLF and LF alike, a BOM is dropped, a final newline adds no row', () => {
    expect(parseCsv('\uFEFFcode,name\r\nU,大学\r\nV,"x"\r\n')).toEqual([
      ['code', 'name'],
      ['U', '大学'],
      ['V', 'x'],
    ]);
    expect(parseCsv('a\nb')).toEqual([['a'], ['b']]);
  });

  it('turns rows into records by header, trimmed, with their line numbers; blank lines skipped', () => {
    const t = tableToRecords(parseCsv(' Code ,NAME\nU, 大学 \n\n,\nV,乙\n'));
    expect(t.header).toEqual(['code', 'name']);
    expect(t.records).toEqual([
      { line: 2, values: { code: 'U', name: '大学' } },
      { line: 5, values: { code: 'V', name: '乙' } },
    ]);
  });

  it('numbers records by the file line they start on, past quoted line breaks (LF, CRLF, CR)', () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      const csv = ['code,name', 'U,"大学', '党委"', 'V,乙', '', 'W,"a', 'b', 'c"', 'X,丁', ''].join(nl);
      const { rows, lines } = parseCsvWithLines(csv);
      expect(rows.map((r) => r[0]), JSON.stringify(nl)).toEqual(['code', 'U', 'V', '', 'W', 'X']);
      expect(tableToRecords(rows, lines).records.map((r) => [r.values.code, r.line]), JSON.stringify(nl)).toEqual([
        ['U', 2],
        ['V', 4],
        ['W', 6],
        ['X', 9],
      ]);
    }
  });
});

describe('validateDirectory', () => {
  const t = (csv: string) => tableToRecords(parseCsv(csv));
  const none = new Map<string, string | null>();
  const ORGS = 'code,name,parent_code,kind,chat_id\n';
  const PEOPLE = 'open_id,name,org_code,role,mobile,email\n';

  it('accepts good rows, Chinese or English kinds and roles', () => {
    const v = validateDirectory(t(`${ORGS}U,大学,,党委,\nU-A,学院,U,general_branch,oc_1\n`), t(`${PEOPLE}ou_1,甲,U-A,书记,,\n,乙,U,admin,13800000000,\n`), none);
    expect(v.problems).toEqual([]);
    expect(v.orgs.map((o) => [o.code, o.kind, o.parentCode, o.chatId])).toEqual([
      ['U', 'committee', null, null],
      ['U-A', 'general_branch', 'U', 'oc_1'],
    ]);
    expect(v.people.map((p) => [p.openId, p.role, p.mobile])).toEqual([
      ['ou_1', 'secretary', null],
      [null, 'admin', '13800000000'],
    ]);
  });

  it('reports missing columns on line 1', () => {
    const v = validateDirectory(t('code,name\n'), t('name\n'), none);
    expect(v.problems.every((p) => p.line === 1)).toBe(true);
    expect(v.problems.map((p) => p.message).join()).toContain('kind');
    expect(v.problems.some((p) => p.file === 'people')).toBe(true);
  });

  it('reports each bad organization row with its line', () => {
    const v = validateDirectory(t(`${ORGS}U,大学,,党委,\nU,重复,,党委,\nbad code,x,,党委,\nX,,NOPE,nonsense,chat\nS,自己,S,党委,\n`), t(PEOPLE), none);
    const lines = (n: number) => v.problems.filter((p) => p.line === n).map((p) => p.message).join(' | ');
    expect(lines(2)).toBe('');
    expect(lines(3)).toContain('重复');
    expect(lines(4)).toContain('bad code');
    expect(lines(5)).toMatch(/name/);
    expect(lines(5)).toMatch(/kind/);
    expect(lines(5)).toMatch(/oc_/);
    expect(lines(6)).toContain('自己');
  });

  it('finds cycles through the organizations already imported', () => {
    const existing = new Map<string, string | null>([
      ['A', null],
      ['B', 'A'],
    ]);
    const v = validateDirectory(t(`${ORGS}A,甲,B,党委,\n`), t(PEOPLE), existing);
    expect(v.problems).toEqual([expect.objectContaining({ line: 2, message: expect.stringContaining('环') })]);
    expect(validateDirectory(t(`${ORGS}C,丙,B,党支部,\n`), t(`${PEOPLE}ou_1,甲,A,admin,,\n`), existing).problems).toEqual([]);
  });

  it('reports each bad person row with its line', () => {
    const v = validateDirectory(
      t(`${ORGS}U,大学,,党委,\n`),
      t(`${PEOPLE}ou_1,甲,U,secretary,,\n,乙,U,member,,\nxx,丙,U,boss,,\nou_4,丁,NOPE,admin,123,no-at\nou_5,戊,U,secretary,,\n`),
      none,
    );
    const lines = (n: number) => v.problems.filter((p) => p.file === 'people' && p.line === n).map((p) => p.message).join(' | ');
    expect(lines(2)).toBe('');
    expect(lines(3)).toContain('至少');
    expect(lines(4)).toMatch(/open_id.*ou_/);
    expect(lines(4)).toContain('boss');
    expect(lines(5)).toContain('NOPE');
    expect(lines(5)).toContain('mobile');
    expect(lines(5)).toContain('email');
    expect(lines(6)).toContain('第 2 行'); // a second secretary for U
  });
});

describe('organization paths', () => {
  it('builds paths and depths', () => {
    expect(childPath(null, 1)).toBe('/1/');
    expect(childPath('/1/', 5)).toBe('/1/5/');
    expect(depthOf('/1/')).toBe(0);
    expect(depthOf('/1/5/9/')).toBe(2);
  });

  it('the subtree range holds exactly the descendants', () => {
    const path = '/1/5/';
    const inRange = (p: string) => p >= path && p < subtreeUpperBound(path);
    for (const p of ['/1/5/', '/1/5/9/', '/1/5/10/', '/1/5/999/1/']) expect(inRange(p), p).toBe(true);
    for (const p of ['/1/', '/1/50/', '/1/51/', '/1/6/', '/1/4/', '/2/5/', '/1/5']) expect(inRange(p), p).toBe(false);
  });

  it('a grant covers its own organization and everything under it, nothing beside', () => {
    expect(isWithin('/1/5/9/', '/1/5/')).toBe(true);
    expect(isWithin('/1/50/', '/1/5/')).toBe(false);
    const grants = [{ role: 'leader' as const, orgId: 5, orgPath: '/1/5/' }];
    expect(canActOn(grants, '/1/5/', ['leader', 'admin'])).toBe(true);
    expect(canActOn(grants, '/1/5/9/', ['leader'])).toBe(true);
    expect(canActOn(grants, '/1/', ['leader'])).toBe(false);
    expect(canActOn(grants, '/1/5/9/', ['admin'])).toBe(false);
  });
});

describe('md() in cards', () => {
  it('escapes everything that would style text, link or mention', () => {
    const out = md('**粗** _斜_ ~~删~~ `code` [点我](https://evil.example) <at id=all></at> # 标题 | a\\b');
    expect(out.replace(/&#?\w+;/g, '')).not.toMatch(/[*_~`[\]()<>#|\\&]/);
    expect(out).toContain('粗');
    expect(out).toContain('&lt;at id=all&gt;');
    expect(md('a & b')).toBe('a &amp; b');
    expect(md('&lt;')).toBe('&amp;lt;'); // no entity passes through unescaped
  });

  it('caps long text without cutting an entity or an emoji in half', () => {
    expect(md('a'.repeat(600))).toBe(`${'a'.repeat(500)}…`);
    expect(md('<'.repeat(10), 3)).toBe('&lt;&lt;&lt;…');
    const cut = md('😀😀😀', 5);
    expect(cut).toBe('😀😀…');
    expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(cut)).toBe(false);
    expect(md('短', 500)).toBe('短');
  });
});

describe('the organization a reviewer decides for (the 盖章)', () => {
  const org = { id: 9, path: '/1/5/9/', parentId: 5 };
  const g = (role: Grant['role'], orgId: number, orgPath: string): Grant => ({ role, orgId, orgPath });
  it('the parent for its leader; else the nearest organization above where the reviewer is an admin', () => {
    expect(reviewingOrgId([g('leader', 5, '/1/5/')], org)).toBe(5);
    expect(reviewingOrgId([g('admin', 1, '/1/')], org)).toBe(1);
    expect(reviewingOrgId([g('admin', 1, '/1/'), g('admin', 5, '/1/5/')], org)).toBe(5);
    expect(reviewingOrgId([g('leader', 1, '/1/'), g('member', 5, '/1/5/')], org)).toBeUndefined();
    expect(reviewingOrgId([g('admin', 9, '/1/5/9/')], org)).toBeUndefined();
  });
});

describe('parseInstant (tick --at)', () => {
  it('reads a time without an offset in the given zone, one with an offset as written, and refuses impossible dates', () => {
    expect(parseInstant('2027-01-19T09:00:00', 'Asia/Shanghai')?.toISOString()).toBe('2027-01-19T01:00:00.000Z');
    expect(parseInstant('2027-01-19', 'Asia/Shanghai')?.toISOString()).toBe('2027-01-18T16:00:00.000Z');
    expect(parseInstant('2027-07-01T09:00', 'America/New_York')?.toISOString()).toBe('2027-07-01T13:00:00.000Z');
    expect(parseInstant('2027-01-19T09:00:00+08:00', 'UTC')?.toISOString()).toBe('2027-01-19T01:00:00.000Z');
    expect(parseInstant('2027-01-19T01:00:00.5Z', 'Asia/Shanghai')?.toISOString()).toBe('2027-01-19T01:00:00.500Z');
    for (const bad of ['2027-02-30T09:00:00+08:00', '2027-01-19T24:00', '2027-13-01', '1', 'Jan 5', '明天', '2027-01-19T09:00+15:00']) expect(parseInstant(bad, 'Asia/Shanghai'), bad).toBeUndefined();
  });
});

describe('the calendar and clock in a time zone', () => {
  it('reads the date and time where the bot is, across midnight, the year and a DST change, whichever zone was asked first', () => {
    const at = new Date('2026-12-31T16:00:00Z'); // midnight in Shanghai, still the 31st in London
    expect(localDate(at, 'Asia/Shanghai')).toBe('2027-01-01');
    expect(localDate(at, 'Europe/London')).toBe('2026-12-31');
    expect(chineseDateTime(at, 'Asia/Shanghai')).toBe('2027年1月1日 00:00');
    expect(chineseDateTime(new Date('2027-03-05T07:09:00Z'), 'Asia/Shanghai')).toBe('2027年3月5日 15:09');
    expect(zoneOffsetMinutes(at, 'Asia/Shanghai')).toBe(480);
    expect(zoneOffsetMinutes(new Date('2027-01-15T12:00:00Z'), 'America/New_York')).toBe(-300);
    expect(zoneOffsetMinutes(new Date('2027-07-15T12:00:00Z'), 'America/New_York')).toBe(-240);
    expect(localDate(new Date('2027-07-01T03:59:00Z'), 'America/New_York')).toBe('2027-06-30');
    // The offset is kept per minute: the minute before a DST change, then the one after it.
    expect(chineseDateTime(new Date('2027-03-14T06:59:59Z'), 'America/New_York')).toBe('2027年3月14日 01:59');
    expect(chineseDateTime(new Date('2027-03-14T07:00:00Z'), 'America/New_York')).toBe('2027年3月14日 03:00');
    expect(chineseDateTime(new Date('2027-03-14T06:59:00Z'), 'America/New_York')).toBe('2027年3月14日 01:59');
    // Shanghai left local mean time (+08:05:43) at 1900-12-31T15:54:17Z, in the middle of a minute.
    expect(chineseDateTime(new Date('1900-12-31T15:54:10Z'), 'Asia/Shanghai')).toBe('1900年12月31日 23:59');
    expect(chineseDateTime(new Date('1900-12-31T15:54:30Z'), 'Asia/Shanghai')).toBe('1900年12月31日 23:54');
    expect(localDate(new Date('0005-06-15T12:00:00Z'), 'Asia/Shanghai')).toBe('0005-06-15');
  });
});

describe("Feishu's encryption and signature, checked against Feishu's own definitions", () => {
  it("decrypts Feishu's published sample (Encrypt Key 'test key')", () => {
    // The sample in Feishu's event-encryption guide (配置 Encrypt Key): AES-256-CBC, key = sha256(Encrypt Key), IV first.
    expect(decryptEvent('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key')).toBe('hello world');
  });

  it('one decrypter serves event after event (no state carried over), like a CBC decipher made per event', () => {
    const decrypt = eventDecrypter('test key');
    expect(decrypt('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=')).toBe('hello world');
    for (let n = 0; n < 300; n++) {
      const plain = `{"n":${n},"text":"${'帮助'.repeat(n % 37)}${'x'.repeat(n % 17)}"}`;
      // Encrypted by node's own AES-256-CBC with PKCS7 padding, as Feishu does.
      const iv = randomBytes(16);
      const cipher = createCipheriv('aes-256-cbc', aesKeyOf('test key'), iv);
      const sealed = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
      expect(decrypt(sealed)).toBe(plain);
    }
  });

  it('a damaged body or another key is refused by the padding check, as OpenSSL would', () => {
    const sealed = encryptEvent('{"hello":"world"}', 'test key', Buffer.alloc(16, 7));
    const bytes = Buffer.from(sealed, 'base64');
    bytes[bytes.length - 1]! ^= 0x55; // the last block's padding no longer decrypts to PKCS7
    expect(() => decryptEvent(bytes.toString('base64'), 'test key')).toThrow('bad padding');
    expect(() => decryptEvent(sealed, 'another key')).toThrow('bad padding');
    expect(() => decryptEvent(Buffer.alloc(40).toString('base64'), 'test key')).toThrow('bad ciphertext length');
  });

  it('signs as sha256(timestamp + nonce + encrypt key + raw body), hex', () => {
    const [ts, nonce, key, body] = ['1700000000', 'n0nce', 'k3y', '{"encrypt":"abc"}'];
    expect(signBody(ts, nonce, key, body)).toBe(createHash('sha256').update(ts + nonce + key + body).digest('hex'));
  });
});
