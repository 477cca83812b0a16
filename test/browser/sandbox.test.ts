import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../db/open-sqlite.js';
import { createDeps } from '../../src/compose.js';
import { silentLogger } from '../../src/logger.js';
import { sandboxCredentials } from '../../src/sandbox/sandbox-credentials.js';
import { waitUntil } from '../helpers/wait-until.js';
import { SandboxPage } from './sandbox-page.js';
import { launchChromium, startSandboxServer, type SandboxServer } from './sandbox-server.js';

// The whole bot as `npm start` runs it without Feishu credentials, driven through its chat page
// in Debian's chromium. Screenshots of each step go to test-results/screenshots/.
describe('the sandbox, in a browser', () => {
  let browser: Browser;
  let server: SandboxServer;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startSandboxServer();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
  });

  const ROLES = [
    { role: 'secretary', name: '张明', label: '书记', org: '文学院中文系教工党支部', mayBind: false },
    { role: 'leader', name: '陈志强', label: '领导', org: '计算机与信息工程学院党总支', mayBind: true },
    { role: 'admin', name: '王建国', label: '管理员', org: '校创先争优活动领导小组办公室', mayBind: true },
    { role: 'member', name: '孙丽', label: '党员', org: '文学院中文系教工党支部', mayBind: false },
  ];

  it('answers 帮助 and 我的 in the private chat, by role', async () => {
    for (const r of ROLES) {
      const p = await SandboxPage.open(browser, server);
      try {
        await p.pickUser(r.name);
        const help = await p.ask('帮助', '践诺助手 · 帮助');
        const helpText = await help.innerText();
        expect(helpText).toContain('我的');
        expect(helpText.includes('绑定'), `${r.role} sees 绑定 in help`).toBe(r.mayBind);
        const me = await p.ask('我的', `我的身份 · ${r.name}`);
        expect(await me.innerText()).toContain(r.label);
        expect(await me.innerText()).toContain(r.org);
        await p.screenshot(`help-and-me-${r.role}`);
      } finally {
        await p.close();
      }
    }
  }, 60_000);

  it('binds a group when a leader @-mentions the bot, and refuses a member', async () => {
    const member = await SandboxPage.open(browser, server);
    const leader = await SandboxPage.open(browser, server);
    try {
      await member.pickUser('郑浩');
      await member.openChat('文学院研究生党支部群');
      await member.page.locator('#chat-sub', { hasText: '尚未绑定' }).waitFor();
      // Without an @-mention the bot stays quiet in groups.
      await member.send('绑定 HENU-WXY-YJS');
      const refused = await member.botReply('只有', () => member.mentionBot('绑定 HENU-WXY-YJS'));
      expect(await refused.innerText()).toContain('管理员、领导可以绑定本群');
      await member.screenshot('bind-refused-member');

      await leader.pickUser('李红梅');
      await leader.openChat('文学院研究生党支部群');
      const bound = await leader.botReply('本群已绑定', () => leader.mentionBot('绑定 HENU-WXY-YJS'));
      expect(await bound.innerText()).toContain('文学院研究生党支部');
      await leader.page.locator('#chat-sub', { hasText: '已绑定「文学院研究生党支部」' }).waitFor();
      await leader.screenshot('bind-by-leader');
      // Everyone in the group sees the same conversation, the member's refused attempt included.
      await member.page.locator('.msg.bot', { hasText: '本群已绑定' }).waitFor();
      expect(await member.page.locator('.msg.other', { hasText: '绑定 HENU-WXY-YJS' }).count()).toBe(1);
    } finally {
      await member.close();
      await leader.close();
    }
  }, 45_000);

  it("presses the help card's 我的身份 button: a toast, then a private message", async () => {
    const p = await SandboxPage.open(browser, server);
    try {
      await p.pickUser('陈志强');
      const meCards = p.page.locator('.msg.bot .card-title', { hasText: '我的身份 · 陈志强' });
      await p.openChat('践诺助手');
      await p.page.waitForTimeout(800); // one poll: the private chat's history is on the page
      const before = await meCards.count();
      await p.openChat('计算机学院党总支工作群');
      const help = await p.botReply('践诺助手 · 帮助', () => p.mentionBot('帮助'));
      await p.pressButton('我的身份', help);
      await p.expectToast('已私信发送你的组织和角色');
      await p.screenshot('help-button-toast');
      await p.openChat('践诺助手');
      await meCards.nth(before).waitFor();
      await p.screenshot('help-button-private-message');
    } finally {
      await p.close();
    }
  }, 30_000);

  it('moves the sandbox clock forward and runs the scheduler', async () => {
    const p = await SandboxPage.open(browser, server);
    try {
      await p.pickUser('王建国');
      const before = Date.parse((await p.page.locator('#clock-now').getAttribute('datetime')) ?? '');
      await p.moveClock('+1 天');
      await waitUntil('the page to show the new sandbox time', async () => Date.parse((await p.page.locator('#clock-now').getAttribute('datetime')) ?? '') > before + 23 * 3600_000);
      const res = await fetch(`${server.url}/sandbox/api/clock`);
      const clock = (await res.json()) as { offsetMs: number };
      expect(clock.offsetMs).toBeGreaterThan(23 * 3600_000);
      // The bot lives in sandbox time: messages still go through its door (5-minute window).
      await p.ask('我的', '我的身份 · 王建国');
      await p.screenshot('clock-plus-one-day');
      const back = await fetch(`${server.url}/sandbox/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: '2020-01-01' }) });
      expect(back.status).toBe(400);
      // Another site cannot drive the sandbox from the user's browser: no simple cross-site post,
      // no other Origin, even with the right content type.
      const forged = (headers: Record<string, string>) => fetch(`${server.url}/sandbox/api/clock`, { method: 'POST', headers, body: JSON.stringify({ addMinutes: 60 * 24 * 300 }) });
      expect((await forged({ 'content-type': 'text/plain' })).status).toBe(403);
      expect((await forged({ 'content-type': 'application/json', origin: 'https://evil.example' })).status).toBe(403);
      expect(((await (await fetch(`${server.url}/sandbox/api/clock`)).json()) as { offsetMs: number }).offsetMs).toBe(clock.offsetMs);
    } finally {
      await p.close();
    }
  }, 30_000);

  it('downloads a file the bot sends', async () => {
    // The bot's own outbox (as 导出 uses it) uploads and sends a file through the emulator.
    const sqlite = openSqlite(server.dbPath);
    const data = new TextEncoder().encode('组织,承诺事项\nHENU-WXY-ZW,建设示范党支部\n');
    try {
      const deps = createDeps({ db: sqlite.db, lark: await sandboxCredentials(sqlite.db, server.port), logger: silentLogger, timeZone: 'Asia/Shanghai' });
      await deps.outbox.enqueue({ key: 'sandbox-test-file', to: { openId: 'ou_sbx_wangjianguo' }, file: { name: '承诺台账.csv', data } });
      const drained = await deps.outbox.drain({ maxMs: 10_000 });
      expect(drained.sent).toBe(1);
    } finally {
      await sqlite.close();
    }
    const p = await SandboxPage.open(browser, server);
    try {
      await p.pickUser('王建国');
      const link = p.page.locator('.msg.bot a.file', { hasText: '承诺台账.csv' });
      await link.waitFor();
      const [download] = await Promise.all([p.page.waitForEvent('download'), link.click()]);
      expect(download.suggestedFilename()).toBe('承诺台账.csv');
      expect(new Uint8Array(readFileSync((await download.path())!))).toEqual(data);
    } finally {
      await p.close();
    }
  }, 30_000);

  it('draws card markdown safely: user text never becomes markup', async () => {
    const p = await SandboxPage.open(browser, server);
    try {
      // Runs in the page as plain JavaScript (the page's own module, not a bundled copy).
      const result = (await p.page.evaluate(`(async () => {
        const { renderCard } = await import('/sandbox/assets/card-render.js');
        const card = {
          schema: '2.0',
          config: { locales: ['zh_cn', 'en_us'] },
          header: { title: { tag: 'plain_text', content: 'T', i18n_content: { zh_cn: '中文标题', en_us: 'English' } }, template: 'red' },
          body: {
            elements: [
              { tag: 'markdown', content: '**粗体** &lt;img src=x onerror=alert(1)&gt; &#42;不是斜体&#42; [点我](javascript:alert(1)) <script>alert(1)</script>' },
              { tag: 'form', name: 'f', elements: [{ tag: 'input', name: 'opinion', required: true }, { tag: 'date_picker', name: 'due' }, { tag: 'button', text: { tag: 'plain_text', content: '提交' }, form_action_type: 'submit', behaviors: [{ type: 'callback', value: { action: 'x' } }] }] },
            ],
          },
        };
        const calls = [];
        const node = renderCard(card, { onAction: (...a) => calls.push(a), confirm: async () => true, timeZone: 'Asia/Shanghai', zoneLabel: '+0800' });
        document.body.append(node);
        const button = [...node.querySelectorAll('button')].find((b) => b.textContent === '提交');
        button.click(); // required field empty: refused
        const refused = calls.length;
        node.querySelector('[name=opinion]').value = '同意';
        node.querySelector('[name=due]').value = '2027-03-31';
        button.click();
        return {
          title: node.querySelector('.card-title')?.textContent,
          bold: node.querySelector('strong')?.textContent,
          text: node.querySelector('.md')?.textContent,
          injected: node.querySelectorAll('img, script, [onerror], a[href^="javascript"]').length,
          refused,
          submitted: calls[0] && calls[0].slice(0, 2),
        };
      })()`)) as {
        title: string; bold: string; text: string; injected: number; refused: number; submitted: unknown;
      };
      expect(result.title).toBe('中文标题');
      expect(result.bold).toBe('粗体');
      expect(result.text).toContain('<img src=x onerror=alert(1)>');
      expect(result.text).toContain('*不是斜体*');
      expect(result.injected).toBe(0);
      expect(result.refused).toBe(0);
      expect(result.submitted).toEqual([{ action: 'x' }, { opinion: '同意', due: '2027-03-31 +0800' }]);
    } finally {
      await p.close();
    }
  }, 20_000);

  it('fits a phone-sized window (375 px)', async () => {
    const p = await SandboxPage.open(browser, server, { width: 375, height: 760 });
    try {
      await p.pickUser('孙丽');
      await p.ask('帮助', '践诺助手 · 帮助');
      const overflow = (await p.page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
      expect(overflow).toBeLessThanOrEqual(0);
      await p.screenshot('phone-help');
      // The sidebar that names who you are is off screen: the chat header says it, and switches.
      await p.page.locator('#me-chip', { hasText: '我：孙丽（党员）' }).waitFor();
      await p.page.click('#me-chip');
      await p.pickUser('张明');
      await p.page.locator('#me-chip', { hasText: '我：张明（书记）' }).waitFor();
      await p.page.click('#back');
      await p.page.locator('.chat-item[data-chat-name="中文系教工党支部群"]').waitFor();
      await p.screenshot('phone-chat-list');
    } finally {
      await p.close();
    }
  }, 30_000);

  it('keeps every chat across a restart', async () => {
    await server.restart();
    const p = await SandboxPage.open(browser, server);
    try {
      await p.pickUser('李红梅');
      await p.openChat('文学院研究生党支部群');
      await p.page.locator('.msg.bot', { hasText: '本群已绑定' }).waitFor();
      await p.page.locator('#chat-sub', { hasText: '已绑定' }).waitFor();
      // And the bot still answers, replying to a message typed after the restart.
      await p.botReply('践诺助手 · 帮助', () => p.mentionBot('帮助'));
    } finally {
      await p.close();
    }
  }, 45_000);
});
