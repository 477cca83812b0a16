import { describe, expect, it } from 'vitest';
import { sqlitePath } from '../db/open-sqlite.js';
import { ConfigError, loadConfig } from '../src/config.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

const FEISHU = { LARK_APP_ID: 'cli_x', LARK_APP_SECRET: 's', LARK_ENCRYPT_KEY: 'k', LARK_VERIFICATION_TOKEN: 't' };

describe('loadConfig', () => {
  it('defaults: port 3000, a SQLite file under ./data, feishu, Asia/Shanghai, the sandbox', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toMatch(/^\.\/data\/.+\.sqlite$/);
    expect(c.larkDomain).toBe('https://open.feishu.cn');
    expect(c.timeZone).toBe('Asia/Shanghai');
    expect(c.lark).toBeUndefined();
  });

  it('blank values count as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: ' ', LARK_APP_ID: '' })).toMatchObject({ port: 3000, databaseUrl: './data/pledge-bot.sqlite', lark: undefined });
  });

  it('reads a full Feishu configuration', () => {
    const c = loadConfig({ ...FEISHU, PORT: '8080', DATABASE_URL: 'file:/tmp/x.sqlite' });
    expect(c.port).toBe(8080);
    expect(c.databaseUrl).toBe('file:/tmp/x.sqlite');
    expect(c.lark).toEqual({ appId: 'cli_x', appSecret: 's', encryptKey: 'k', verificationToken: 't', domain: 'https://open.feishu.cn' });
  });

  it('reports every problem together', () => {
    const problems = problemsOf({ PORT: 'abc', LARK_APP_ID: 'cli_x', LARK_DOMAIN: 'ftp://x', TZ_NAME: 'Asia/Shangai' });
    const text = problems.join('\n');
    expect(text).toContain('PORT');
    expect(text).toContain('LARK_APP_SECRET');
    expect(text).toContain('LARK_ENCRYPT_KEY');
    expect(text).toContain('LARK_VERIFICATION_TOKEN');
    expect(text).toContain('LARK_DOMAIN');
    expect(text).toContain('TZ_NAME');
    expect(problems).toHaveLength(6);
  });

  it('names the problem in one message', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT 须在 1–65535 之间/);
    expect(() => loadConfig({ ...FEISHU, LARK_ENCRYPT_KEY: '' })).toThrow(/LARK_ENCRYPT_KEY/);
  });

  it('some Feishu keys without LARK_APP_ID is a mistake, not the sandbox', () => {
    const { LARK_APP_ID: _, ...rest } = FEISHU;
    const problems = problemsOf(rest);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('LARK_APP_ID');
    expect(problemsOf({ LARK_VERIFICATION_TOKEN: 't' }).join('\n')).toMatch(/LARK_APP_ID[\s\S]*LARK_APP_SECRET[\s\S]*LARK_ENCRYPT_KEY/);
  });

  it('the sandbox listens on this machine only unless HOST says otherwise; Feishu mode on every interface', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadConfig(FEISHU).host).toBeUndefined();
    expect(loadConfig({ ...FEISHU, HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
  });

  it.each(['postgres://h/db', 'mysql://x', 'file:/tmp/x.sqlite?mode=ro', 'file:///tmp/x.sqlite#a'])('DATABASE_URL %s is refused', (bad) => {
    expect(problemsOf({ DATABASE_URL: bad }).join()).toContain('DATABASE_URL');
  });

  it.each(['./data/x.sqlite', '/var/lib/pledge/x.sqlite', 'file:/tmp/x.sqlite', 'file:///tmp/x.sqlite', ':memory:'])('DATABASE_URL %s is taken', (ok) => {
    expect(loadConfig({ DATABASE_URL: ok }).databaseUrl).toBe(ok);
  });

  it.each([
    ['file:///srv/pledge%20bot/%E6%95%B0%E6%8D%AE.sqlite', '/srv/pledge bot/数据.sqlite'],
    ['file:/srv/pledge%20bot/x.sqlite', '/srv/pledge bot/x.sqlite'],
    ['./data/x.sqlite', './data/x.sqlite'],
    ['file:data/x.sqlite', 'data/x.sqlite'],
  ])('DATABASE_URL %s opens the file %s (a file: URL\'s escapes decoded)', (url, path) => {
    expect(sqlitePath(url)).toBe(path);
  });

  it.each([
    ['feishu', 'https://open.feishu.cn'],
    ['lark', 'https://open.larksuite.com'],
    ['http://127.0.0.1:9999/', 'http://127.0.0.1:9999'],
    ['https://open.example.cn/base//', 'https://open.example.cn/base'],
  ])('LARK_DOMAIN %s is %s', (alias, url) => {
    expect(loadConfig({ ...FEISHU, LARK_DOMAIN: alias }).lark?.domain).toBe(url);
  });

  it.each(['constructor', 'toString', 'open.feishu.cn', 'larksuite'])('LARK_DOMAIN %s is refused', (bad) => {
    expect(problemsOf({ LARK_DOMAIN: bad }).join()).toContain('LARK_DOMAIN');
  });
});
