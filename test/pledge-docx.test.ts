import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import type { PledgeDocument } from '../src/documents/pledge-document.js';
import { PLEDGE_NOTE, pledgeFileName, renderPledgeDocx } from '../src/documents/render-pledge-docx.js';

const tricky = `服务师生 <A&B> "双引号" 'single' & </w:t>`;

const approved: PledgeDocument = {
  year: 2027,
  orgName: '文学院中文系党支部',
  profile: {
    name: '张明',
    gender: '男',
    birthMonth: '1980-05',
    position: '党支部书记、系主任',
    termStart: '2024-03-12',
    contact: '13800138000',
  },
  items: [
    { n: 1, content: '带头落实“三会一课”制度，每月讲一次专题党课', standard: '全年党课不少于12次，参学率95%以上', due: '2027-12-31' },
    { n: 2, content: `组织志愿服务：${tricky}`, standard: '全年不少于6次 <每季度≥1>', due: '2027-06-30' },
    { n: 3, content: '建立党员联系学生宿舍制度', standard: '覆盖全部本科生宿舍', due: '2027-09-01', followsN: 1 },
  ],
  version: 2,
  status: 'approved',
  signedBy: '张明',
  // 01:30 on 15 January in Shanghai, still the 14th in UTC: the date must follow timeZone
  signedAt: '2027-01-14T17:30:00Z',
  review: {
    opinion: '同意。承诺事项具体、可行，请认真践诺。',
    reviewerName: '李华',
    reviewOrgName: '中共河南大学文学院委员会',
    reviewedAt: '2027-01-18T02:00:00Z',
  },
  timeZone: 'Asia/Shanghai',
};

const draft: PledgeDocument = {
  ...approved,
  version: 1,
  status: 'draft',
  signedBy: null,
  signedAt: null,
  review: null,
  items: [{ n: 1, content: '第一项承诺', standard: '达到考核要求', due: '2027-03-05' }],
};

interface Opened {
  xml: string;
  /** the text of each paragraph of the body, entities decoded */
  paragraphs: string[];
  text: string;
  zip: JSZip;
}

function decode(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function paragraphTexts(xml: string): string[] {
  return Array.from(xml.matchAll(/<w:p[ >][\s\S]*?<\/w:p>/g), (m) =>
    Array.from(m[0].matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>|<w:(br|tab)\/>/g), (t) =>
      t[1] !== undefined ? decode(t[1]) : t[2] === 'tab' ? '\t' : '\n',
    ).join(''),
  );
}

async function open(doc: PledgeDocument): Promise<Opened> {
  const bytes = await renderPledgeDocx(doc);
  expect(bytes).toBeInstanceOf(Uint8Array);
  const zip = await JSZip.loadAsync(bytes);
  const xml = await zip.file('word/document.xml')!.async('string');
  const paragraphs = paragraphTexts(xml);
  return { xml, paragraphs, text: paragraphs.join('\n'), zip };
}

describe('the printable 公开承诺书 (附件2)', () => {
  it('carries the title, every field of the form and every value of an approved pledge', async () => {
    const { text, paragraphs } = await open(approved);
    expect(paragraphs[0]).toBe('2027年度党组织书记公开承诺书');
    for (const label of ['姓名', '性别', '出生年月', '职务', '任职时间', '联系方式', '党组织名称']) {
      expect(paragraphs).toContain(label);
    }
    expect(text).toContain('公\n开\n承\n诺\n事\n项');
    expect(text).toContain('上一级\n党组织\n审定意见');
    for (const value of ['张明', '男', '1980年5月', '党支部书记、系主任', '2024年3月12日', '13800138000', '文学院中文系党支部']) {
      expect(paragraphs).toContain(value);
    }
    expect(text).toContain('1.\t带头落实“三会一课”制度，每月讲一次专题党课');
    expect(text).toContain('标准/目标：全年党课不少于12次，参学率95%以上');
    expect(text).toContain('完成时限：2027年12月31日');
    expect(text).toContain('完成时限：2027年6月30日');
    expect(text).toContain('3.\t（再承诺，接第1项）建立党员联系学生宿舍制度');
    expect(text).toContain('标准/目标：覆盖全部本科生宿舍');
    expect(text).toContain('完成时限：2027年9月1日');
    // items in order
    expect(text.indexOf('1.\t')).toBeLessThan(text.indexOf('2.\t'));
    expect(text.indexOf('2.\t')).toBeLessThan(text.indexOf('3.\t'));
  });

  it('shows the electronic signature, the superior opinion with its 盖章, and dates in the pledge time zone', async () => {
    const { paragraphs, text } = await open(approved);
    expect(paragraphs).toContain('承诺人签字：（电子签名）张明');
    expect(paragraphs).toContain('2027年1月15日');
    expect(paragraphs).toContain('同意。承诺事项具体、可行，请认真践诺。');
    expect(paragraphs).toContain('（盖章）中共河南大学文学院委员会');
    expect(paragraphs).toContain('审定人：李华');
    expect(paragraphs).toContain('2027年1月18日');
    expect(text).not.toContain('2027年1月14日');
    // the signature comes after the items and before the review
    expect(text.indexOf('承诺人签字')).toBeGreaterThan(text.indexOf('3.\t'));
    expect(text.indexOf('承诺人签字')).toBeLessThan(text.indexOf('上一级'));
  });

  it('puts the 一式四份 note under the table and the version and status in the page footer', async () => {
    const { xml, paragraphs, zip } = await open(approved);
    expect(PLEDGE_NOTE).toBe('注：本承诺书一式四份，本级组织留存一份，公示一份，报送上级两份。');
    expect(paragraphs.at(-1)).toBe(PLEDGE_NOTE);
    expect(xml.lastIndexOf('</w:tbl>')).toBeLessThan(xml.indexOf('一式四份'));
    const footers = await Promise.all(
      Object.keys(zip.files)
        .filter((name) => /^word\/footer\d*\.xml$/.test(name))
        .map((name) => zip.file(name)!.async('string')),
    );
    const footerText = footers.flatMap(paragraphTexts).join('\n');
    expect(footerText).toContain('第2版 · 已审定 · 由践诺助手生成');
    expect(paragraphs.join('\n')).not.toContain('未经上级审定');
  });

  it('leaves room to sign, review and stamp by hand when the pledge is an unsigned draft', async () => {
    const { paragraphs, text, zip } = await open(draft);
    expect(paragraphs[0]).toBe('2027年度党组织书记公开承诺书');
    expect(paragraphs[1]).toBe('（草稿，未经上级审定，仅供核对，不作公示）'); // under the title, where nobody misses it
    expect(paragraphs.some((p) => p.startsWith('承诺人签字：') && !p.includes('电子签名'))).toBe(true);
    expect(paragraphs.filter((p) => /^\s*年\s+月\s+日$/.test(p))).toHaveLength(2);
    expect(paragraphs).toContain('（盖章）');
    expect(text).not.toContain('审定人');
    expect(text).toContain('完成时限：2027年3月5日');
    const footer = await zip.file('word/footer1.xml')!.async('string');
    expect(paragraphTexts(footer).join('')).toContain('第1版 · 草稿');
  });

  it('does not stamp an opinion on a pledge that was returned', async () => {
    const returned: PledgeDocument = { ...approved, status: 'returned', review: { ...approved.review!, opinion: '请补充第2项的量化指标。' } };
    const { paragraphs, text } = await open(returned);
    expect(paragraphs).toContain('请补充第2项的量化指标。');
    expect(paragraphs).toContain('（盖章）');
    expect(text).not.toContain('（盖章）中共河南大学文学院委员会');
  });

  it('keeps user text with XML-special characters intact and well escaped', async () => {
    const { xml, text } = await open(approved);
    expect(text).toContain(`2.\t组织志愿服务：${tricky}`);
    expect(text).toContain('标准/目标：全年不少于6次 <每季度≥1>');
    expect(xml).toContain('&lt;A&amp;B&gt;');
    expect(xml).not.toContain('<A&B>');
    expect(xml).not.toContain('& </w:t>');
  });

  it('drops characters XML cannot hold and caps over-long text', async () => {
    const long = '长'.repeat(800);
    const { text, xml } = await open({
      ...draft,
      items: [{ n: 1, content: `控制\u0001字符\u000b${long}`, standard: '标准', due: '2027-03-05' }],
    });
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    expect(text).toContain('控制字符长');
    expect(text).not.toContain(long);
    expect(text).toContain('长…');
  });

  it('sets 宋体/黑体 as East Asian fonts and the Chinese language, and names them in the font table', async () => {
    const { xml, zip } = await open(approved);
    expect(xml).toMatch(/<w:rFonts [^>]*w:eastAsia="宋体"[^>]*w:hint="eastAsia"/);
    expect(xml).toMatch(/<w:rFonts [^>]*w:eastAsia="黑体"/);
    const styles = await zip.file('word/styles.xml')!.async('string');
    expect(styles).toMatch(/<w:rPrDefault><w:rPr><w:rFonts [^>]*w:eastAsia="宋体"/);
    expect(styles).toMatch(/<w:lang [^>]*w:eastAsia="zh-CN"/);
    const fonts = await zip.file('word/fontTable.xml')!.async('string');
    expect(fonts).toContain('<w:font w:name="宋体"><w:altName w:val="SimSun"/>');
    expect(fonts).toContain('<w:font w:name="黑体"><w:altName w:val="SimHei"/>');
  });

  it('is an A4 page with one bordered table', async () => {
    const { xml } = await open(approved);
    expect(xml).toMatch(/<w:pgSz [^>]*w:w="11906"[^>]*w:h="16838"|<w:pgSz [^>]*w:h="16838"[^>]*w:w="11906"/);
    expect(xml.match(/<w:tbl>/g)).toHaveLength(1);
    expect(xml).toMatch(/<w:tblBorders><w:top w:val="single"/);
  });
});

describe('pledgeFileName', () => {
  it('names the file by year and organization, safe for file systems', () => {
    expect(pledgeFileName(approved).startsWith('2027年度公开承诺书-文学院中文系党支部')).toBe(true);
    expect(pledgeFileName({ ...approved, version: 1 })).toBe('2027年度公开承诺书-文学院中文系党支部.docx');
    expect(pledgeFileName(approved)).toBe('2027年度公开承诺书-文学院中文系党支部-第2版.docx');
    expect(pledgeFileName({ year: 2027, version: 1, orgName: '../a/b:c*?"<>|\n党支部.', status: 'approved' })).toBe(
      '2027年度公开承诺书-a_b_c_ 党支部.docx',
    );
    expect(pledgeFileName({ year: 2027, version: 1, orgName: '  ', status: 'approved' })).toBe('2027年度公开承诺书-党组织.docx');
  });

  it('a version not approved says so in its name; one approved before (superseded) does not', () => {
    expect(pledgeFileName({ ...approved, version: 1, status: 'draft' })).toBe('2027年度公开承诺书-文学院中文系党支部（草稿）.docx');
    expect(pledgeFileName({ ...approved, status: 'submitted' })).toBe('2027年度公开承诺书-文学院中文系党支部-第2版（待审定）.docx');
    expect(pledgeFileName({ ...approved, status: 'superseded' })).toBe('2027年度公开承诺书-文学院中文系党支部-第2版.docx');
  });
});
