import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPage } from './sandbox-page.js';
import { launchChromium, startSandboxServer, type SandboxServer } from './sandbox-server.js';
import { pledgeYearFor } from '../../src/domain/cycle.js';
import { localDate } from '../../src/domain/dates.js';

// The annual pledge in the sandbox's demo university, as people do it: 张明 (secretary of
// 文学院中文系教工党支部) files through the card form, 李红梅 (leader of 文学院党委, the
// superior) approves, the branch's group shows the publication and a member gives an opinion.
describe('the annual pledge, in the sandbox page', () => {
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

  it('a secretary files through the form, the leader approves, the group sees it published', async () => {
    // The cycle being filed (next year's from November on), as the bot decides it.
    const year = pledgeYearFor(localDate(new Date(), 'Asia/Shanghai'));
    const sec = await SandboxPage.open(browser, server, { height: 1200, shotPrefix: 'pledge' });
    const leader = await SandboxPage.open(browser, server, { height: 1200, shotPrefix: 'pledge' });
    const member = await SandboxPage.open(browser, server, { height: 1200, shotPrefix: 'pledge' });
    try {
      await sec.pickUser('张明');
      const form = await sec.botReply('公开承诺书', () => sec.send('承诺'));
      await sec.fillField('gender', '男', form);
      await sec.fillField('birth_month', '1978-05', form);
      await sec.fillField('position', '党支部书记', form);
      await sec.fillField('term_start', '2020-09-01', form);
      await sec.fillField('item_1', '每月组织一次主题党日', form);
      await sec.fillField('item_1_standard', '全年不少于12次，党员参与率90%以上', form);
      await sec.fillField('item_1_due', `${year}-12-31`, form);
      await sec.screenshot('pledge-form-filled');
      await sec.pressButton('预览并提交', form);
      await sec.expectToast('确认提交');
      // The answer's card replaced the form in place.
      const preview = await sec.waitForCard('请确认');
      expect(await preview.innerText()).toContain('每月组织一次主题党日');
      await sec.screenshot('pledge-preview');
      await sec.pressButton('确认提交', preview);
      await sec.expectToast('已提交');

      await leader.pickUser('李红梅');
      const review = leader.page.locator('.msg.bot .card', { hasText: '待审定' }).last();
      await review.waitFor();
      expect(await review.innerText()).toContain('全年不少于12次');
      await leader.fillField('opinion', '同意，请抓好落实', review);
      await leader.pressButton('审定通过', review);
      await leader.expectToast('公示');
      await leader.screenshot('pledge-approved');

      await member.pickUser('孙丽');
      await member.openChat('中文系教工党支部群');
      const published = member.page.locator('.msg.bot .card', { hasText: '同意，请抓好落实' }).last();
      await published.waitFor();
      expect(await published.innerText()).toContain('公开承诺事项');
      await member.fillField('suggestion', '希望每月公布主题党日照片', published);
      await member.pressButton('提交意见', published);
      await member.expectToast(/意见/);
      await member.screenshot('pledge-published-opinion');
    } finally {
      await Promise.all([sec.close(), leader.close(), member.close()]);
    }
  }, 60_000);
});
