import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// db/migrations, read in Node by the config (readD1Migrations) and applied to the test D1 the
// way `wrangler d1 migrations apply` does (the same d1_migrations table). Idempotent.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
