import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { waitUntil } from '../helpers/wait-until.js';
import type { SandboxServer } from './sandbox-server.js';

/**
 * Drives the sandbox chat page the way a person does. A feature's browser test reads as steps:
 *   const p = await SandboxPage.open(browser, server);
 *   await p.pickUser('张明');
 *   await p.send('承诺');
 *   const card = await p.waitForCard('公开承诺书');
 *   await p.fillField('item_1', '…'); await p.pressButton('提交');
 *   await p.expectToast('已提交');
 */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'screenshots');
const BOT = '践诺助手';
let shotSeq = 0;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class SandboxPage {
  private constructor(
    readonly page: Page,
    readonly context: BrowserContext,
    readonly server: SandboxServer,
    private readonly shotPrefix: string,
  ) {}

  /** A fresh browser context (its own localStorage) on /sandbox. */
  static async open(browser: Browser, server: SandboxServer, opts: { width?: number; height?: number; shotPrefix?: string } = {}): Promise<SandboxPage> {
    const context = await browser.newContext({
      viewport: { width: opts.width ?? 1180, height: opts.height ?? 820 },
      deviceScaleFactor: 1,
      locale: 'zh-CN',
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/sandbox`);
    await page.waitForSelector('body.ready');
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return new SandboxPage(page, context, server, opts.shotPrefix ?? 'sandbox');
  }

  async close(): Promise<void> {
    await this.context.close();
  }

  /** Chooses who you are from the directory (opens the picker if needed). */
  async pickUser(name: string): Promise<void> {
    if (!(await this.page.locator('#picker').isVisible())) await this.page.click('#who');
    await this.page.locator('#picker .person').filter({ has: this.page.locator('.person-name', { hasText: new RegExp(`^${escapeRe(name)}$`) }) }).first().click();
    // On a phone the chat opens at once and the list is hidden: wait for presence, not visibility.
    await this.page.locator('#who-name', { hasText: name }).waitFor({ state: 'attached' });
    await this.page.locator('.chat-item').first().waitFor({ state: 'attached' });
  }

  /** Opens a chat by its name in the list ("践诺助手" is the private chat with the bot). */
  async openChat(name: string): Promise<void> {
    if (await this.page.locator('#back').isVisible()) await this.page.click('#back');
    await this.page.locator(`.chat-item[data-chat-name="${name}"]`).click();
    await this.page.locator('#chat-title', { hasText: name }).waitFor();
  }

  /** Types a message and presses Enter; resolves once it shows in the chat. */
  async send(text: string): Promise<void> {
    const mine = this.page.locator('.msg.mine');
    const before = await mine.count();
    await this.page.fill('#input', text);
    await this.page.press('#input', 'Enter');
    await mine.nth(before).waitFor();
  }

  /** In a group: "@践诺助手 <text>" through the @ button. */
  async mentionBot(text: string): Promise<void> {
    await this.page.fill('#input', text);
    await this.page.click('#mention');
    await this.send(await this.page.inputValue('#input'));
  }

  botMessages(): Locator {
    return this.page.locator('.msg.bot');
  }

  /** Runs `action`, then waits for a new bot message that contains `text`. */
  async botReply(text: string | RegExp, action: () => Promise<void>, timeoutMs = 10_000): Promise<Locator> {
    const before = await this.botMessages().count();
    await action();
    return waitUntil(`a bot message with ${String(text)}`, async () => {
      const n = await this.botMessages().count();
      for (let i = n - 1; i >= before; i--) {
        const m = this.botMessages().nth(i);
        const t = await m.innerText();
        if (typeof text === 'string' ? t.includes(text) : text.test(t)) return m;
      }
      return undefined;
    }, timeoutMs);
  }

  /** Sends `text` and returns the bot's answer containing `expect`. */
  async ask(text: string, expect: string | RegExp): Promise<Locator> {
    return this.botReply(expect, () => this.send(text));
  }

  /** The newest card whose header title contains `title`. */
  async waitForCard(title: string): Promise<Locator> {
    const card = this.page.locator('.msg .card').filter({ has: this.page.locator('.card-title', { hasText: title }) }).last();
    await card.waitFor();
    return card;
  }

  /** Fills a card form field by its `name` (input, multiline, select by value or label, date YYYY-MM-DD, checkbox). */
  async fillField(name: string, value: string | boolean, within?: Locator): Promise<void> {
    const scope = within ?? this.page.locator('.msg .card').last();
    const control = scope.locator(`[data-field-name="${name}"]`).last().locator('input, textarea, select').first();
    const kind = await control.evaluate((e) => `${e.tagName.toLowerCase()}:${e.getAttribute('type') ?? ''}`);
    if (kind.startsWith('select')) {
      const byValue = await control.locator(`option[value="${String(value)}"]`).count();
      await control.selectOption(byValue ? { value: String(value) } : { label: String(value) });
    } else if (kind === 'input:checkbox') await control.setChecked(Boolean(value));
    else await control.fill(String(value));
  }

  /** Presses a card button by its exact text (in `within`, else the newest card that has it). */
  async pressButton(text: string, within?: Locator): Promise<void> {
    const re = new RegExp(`^\\s*${escapeRe(text)}\\s*$`);
    const button = (within ?? this.page.locator('.msg .card')).locator('button').filter({ hasText: re }).last();
    await button.click();
  }

  /** Waits for a toast containing `text`. */
  async expectToast(text: string | RegExp): Promise<Locator> {
    const t = this.page.locator('.toast').filter({ hasText: text }).last();
    await t.waitFor({ timeout: 10_000 });
    return t;
  }

  /** Presses one of the clock buttons (+1 小时, +1 天, +1 周) and waits for the scheduler's toast. */
  async moveClock(label: '+1 小时' | '+1 天' | '+1 周'): Promise<void> {
    await this.page.locator('.clock-buttons button', { hasText: label }).click();
    await this.expectToast('调度已运行');
  }

  /** Saves test-results/screenshots/<prefix>-NN-<step>.png and returns its path. */
  async screenshot(step: string): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const path = join(SCREENSHOT_DIR, `${this.shotPrefix}-${String(++shotSeq).padStart(2, '0')}-${step.replace(/[^\w\u4e00-\u9fa5-]+/g, '-')}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}

export { BOT };
