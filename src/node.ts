import 'dotenv/config';
import { ConfigError, loadConfig, type Config } from './config.js';
import { nodeLogger } from './node/node-logger.js';
import { startNodeBot, StartupError } from './node/start-node-bot.js';

/** Node entry: the door on this thread, the bot on a worker thread (src/node/). */
async function main(config: Config): Promise<void> {
  const logger = nodeLogger(config.logLevel);
  const bot = await startNodeBot({ config, logger });
  logger.info({ host: config.host ?? 'all interfaces', port: bot.port, mode: config.lark ? 'feishu' : 'sandbox' }, 'pledge-bot listening');
  const stop = async () => {
    logger.info({}, 'shutting down');
    await bot.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

try {
  await main(loadConfig(process.env));
} catch (err) {
  if (err instanceof ConfigError || err instanceof StartupError) {
    console.error(err.message);
    process.exit(1);
  }
  // Anything else that stops start-up (the bot thread's error arrives as a copy: its message says what).
  console.error(`启动失败 (start-up failed): ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) console.error(err.stack);
  process.exit(1);
}
