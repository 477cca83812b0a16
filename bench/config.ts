import { z } from 'zod';

/**
 * What the bench tells each server it starts (as JSON in BENCH_CONFIG). Nothing here is a real
 * Feishu secret: the bench makes fresh ones per run.
 */
export const ServerConfig = z.object({
  appId: z.string().min(1),
  appSecret: z.string().min(1),
  encryptKey: z.string().min(1),
  verificationToken: z.string().min(1),
  /** The bot only: its SQLite file and the Open API emulator's base URL. */
  dbPath: z.string().optional(),
  larkDomain: z.string().optional(),
  /** The bot only: how many seeded people (ou_bench_0 …) are in the directory. */
  directoryPeople: z.number().int().nonnegative().optional(),
  /** The bot only: the bot thread's nice value (the door thread stays at 0). */
  niceness: z.number().int().min(0).max(19).optional(),
  /** The bot only: the bot thread's background steps a second while the door is busy (door-gate.ts). */
  busyRate: z.number().positive().optional(),
});
export type ServerConfig = z.infer<typeof ServerConfig>;

export function readServerConfig(): ServerConfig {
  return ServerConfig.parse(JSON.parse(process.env.BENCH_CONFIG ?? '{}'));
}

/** A child prints this line once it listens; the parent reads the port from it. */
export const READY = 'BENCH_READY';

export function announce(port: number): void {
  process.stdout.write(`${READY} ${JSON.stringify({ port })}\n`);
}

export const openIdOf = (i: number): string => `ou_bench_${i}`;
export const p2pChatOf = (i: number): string => `oc_p2p_bench_${i}`;
