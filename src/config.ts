import { z } from 'zod';

const DOMAINS = { feishu: 'https://open.feishu.cn', lark: 'https://open.larksuite.com' } as const;

const optionalText = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** An address the server can be told to listen on: an IPv6 address, or an IPv4 one or a host name (whether it exists is found when listening). */
function isListenAddress(v: string): boolean {
  if (v.includes(':')) return isIpv6(v);
  return v.length <= 253 && v.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label));
}

function isIpv6(v: string): boolean {
  try {
    return new URL(`http://[${v}]/`).hostname !== '';
  } catch {
    return false;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const EnvSchema = z
  .object({
    LARK_APP_ID: optionalText,
    LARK_APP_SECRET: optionalText,
    LARK_ENCRYPT_KEY: optionalText,
    LARK_VERIFICATION_TOKEN: optionalText,
    LARK_DOMAIN: z
      .string()
      .trim()
      .default('feishu')
      .refine((v) => Object.hasOwn(DOMAINS, v) || /^https?:\/\/[^\s/]+(\/.*)?$/.test(v), {
        message: 'LARK_DOMAIN 须为 feishu、lark 或以 http(s):// 开头的地址',
      }),
    PORT: z.coerce
      .number({ message: 'PORT 须为数字' })
      .int()
      .min(1, 'PORT 须在 1–65535 之间')
      .max(65535, 'PORT 须在 1–65535 之间')
      .default(3000),
    DATABASE_URL: z
      .string()
      .trim()
      .min(1)
      .default('./data/pledge-bot.sqlite')
      // Only SQLite here (D1 on Workers is bound in wrangler.toml): postgres://… would become a file named "postgres:".
      .refine((v) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || v.startsWith('file://'), {
        message: 'DATABASE_URL 须为 SQLite 文件路径或 file: URL，例如 ./data/pledge-bot.sqlite',
      })
      .refine((v) => !v.startsWith('file:') || !/[?#]/.test(v), { message: 'DATABASE_URL 的 file: URL 不支持 ? 或 # 参数' }),
    HOST: optionalText.refine((v) => v === undefined || isListenAddress(v), { message: 'HOST 须为 IP 地址或主机名，例如 127.0.0.1、0.0.0.0、::、localhost' }),
    TZ_NAME: z
      .string()
      .trim()
      .default('Asia/Shanghai')
      .refine(isTimeZone, { message: 'TZ_NAME 须为 IANA 时区名，例如 Asia/Shanghai' }),
    LOG_LEVEL: z.enum(LOG_LEVELS, { message: `LOG_LEVEL 须为 ${LOG_LEVELS.join('、')} 之一` }).default('info'),
  });

/** Set together or not at all; checked beside the schema so its problems are listed with the rest. */
const LARK_TOGETHER = ['LARK_APP_ID', 'LARK_APP_SECRET', 'LARK_ENCRYPT_KEY', 'LARK_VERIFICATION_TOKEN'] as const;

/**
 * None set: the local sandbox. Some set: a mistake (a misspelt LARK_APP_ID must not quietly
 * start the sandbox, whose chat page acts as anyone, on the production database).
 */
function missingLarkKeys(env: Record<string, string | undefined>): string[] {
  const set = (k: string) => (env[k] ?? '').trim() !== '';
  const given = LARK_TOGETHER.filter(set);
  if (given.length === 0) return [];
  return LARK_TOGETHER.filter((k) => !set(k)).map((k) => `${k}: 设置了 ${given.join('、')} 时必须同时设置 ${k}（四项都留空则运行本地沙盒）`);
}

export interface LarkCredentials {
  appId: string;
  appSecret: string;
  encryptKey: string;
  verificationToken: string;
  /** Base URL of the Open API, e.g. https://open.feishu.cn or http://127.0.0.1:9999 */
  domain: string;
}

export interface Config {
  /** Absent: run the local sandbox instead of connecting to Feishu. */
  lark: LarkCredentials | undefined;
  larkDomain: string;
  port: number;
  /** Where the server listens: HOST if set; else only this machine for the sandbox, every interface for Feishu. */
  host: string | undefined;
  databaseUrl: string;
  timeZone: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`配置有误 (configuration error):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses the environment once, at the entry. Reports every problem together. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // `PORT=` in a .env file means "not set", not port 0.
  env = Object.fromEntries(Object.entries(env).filter(([, v]) => v === undefined || v.trim() !== ''));
  const parsed = EnvSchema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`)),
    ...missingLarkKeys(env),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const domain = Object.hasOwn(DOMAINS, e.LARK_DOMAIN) ? DOMAINS[e.LARK_DOMAIN as keyof typeof DOMAINS] : e.LARK_DOMAIN.replace(/\/+$/, '');
  const lark =
    e.LARK_APP_ID && e.LARK_APP_SECRET && e.LARK_ENCRYPT_KEY && e.LARK_VERIFICATION_TOKEN
      ? {
          appId: e.LARK_APP_ID,
          appSecret: e.LARK_APP_SECRET,
          encryptKey: e.LARK_ENCRYPT_KEY,
          verificationToken: e.LARK_VERIFICATION_TOKEN,
          domain,
        }
      : undefined;
  return {
    lark,
    larkDomain: domain,
    port: e.PORT,
    host: e.HOST ?? (lark ? undefined : '127.0.0.1'),
    databaseUrl: e.DATABASE_URL,
    timeZone: e.TZ_NAME,
    logLevel: e.LOG_LEVEL,
  };
}
