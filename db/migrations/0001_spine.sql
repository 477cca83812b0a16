-- The spine: directory, chat bindings, inbound dedupe/inbox, outbox, dialogs, audit log.
-- Applied by db/migrate.ts on Node and by `wrangler d1 migrations apply` on D1 (same bookkeeping table).

CREATE TABLE organizations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  parent_id INTEGER REFERENCES organizations(id),
  -- materialized path of ids, '/1/5/9/': "everything under X" is one range scan on this index
  path TEXT NOT NULL,
  depth INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX organizations_path ON organizations(path);
CREATE INDEX organizations_parent ON organizations(parent_id);

CREATE TABLE people (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  open_id TEXT UNIQUE,
  name TEXT NOT NULL,
  mobile TEXT,
  email TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX people_mobile ON people(mobile);
CREATE INDEX people_email ON people(email);

CREATE TABLE roles (
  person_id INTEGER NOT NULL REFERENCES people(id),
  org_id INTEGER NOT NULL REFERENCES organizations(id),
  role TEXT NOT NULL,
  PRIMARY KEY (person_id, org_id, role)
);
CREATE INDEX roles_org ON roles(org_id, role);

CREATE TABLE chat_bindings (
  chat_id TEXT PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES organizations(id),
  bound_by TEXT,
  bound_at TEXT NOT NULL
);
CREATE INDEX chat_bindings_org ON chat_bindings(org_id);

-- Every accepted delivery, keyed by event_id (and msg:<message_id> for messages): the dedupe
-- record and the inbox at once, so an acknowledged message survives a crash before handling.
CREATE TABLE inbound_events (
  key TEXT PRIMARY KEY,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,            -- pending | done | failed | duplicate
  response TEXT,                   -- card callbacks: the answer given, replayed to duplicates
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  received_at TEXT NOT NULL,
  processed_at TEXT
);
CREATE INDEX inbound_events_status ON inbound_events(status, received_at);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  msg_key TEXT NOT NULL UNIQUE,    -- the logical message: enqueuing it again is a no-op
  uuid TEXT NOT NULL,              -- Feishu's idempotency key (<= 50 chars, derived from msg_key)
  op TEXT NOT NULL,                -- send | reply | patch | file
  receive_id_type TEXT,
  receive_id TEXT,
  target_message_id TEXT,
  msg_type TEXT NOT NULL,
  content TEXT NOT NULL,
  file_name TEXT,
  file_data BLOB,
  status TEXT NOT NULL,            -- pending | sending | sent | failed
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  lease_until TEXT,
  last_error TEXT,
  result_message_id TEXT,
  created_at TEXT NOT NULL,
  sent_at TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE dialogs (
  open_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  step TEXT NOT NULL,
  data TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Append-only, hash-chained. prev_hash is UNIQUE so two racing appenders cannot fork the chain.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  before TEXT,
  after TEXT,
  prev_hash TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
