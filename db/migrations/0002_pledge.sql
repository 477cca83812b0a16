-- The annual public pledge (公开承诺书): cycles and deadlines, versions (回头审诺), items with
-- stable keys across versions (再承诺 links), review, publication, members' opinions.

CREATE TABLE cycles (
  year INTEGER PRIMARY KEY,
  created_at TEXT NOT NULL
);

-- A deadline set by one level of the tree; a lower level may only set an earlier date.
CREATE TABLE cycle_deadlines (
  year INTEGER NOT NULL,
  org_id INTEGER NOT NULL REFERENCES organizations(id),
  kind TEXT NOT NULL,              -- pledge | q1 | q2 | q3 | q4
  due_date TEXT NOT NULL,          -- YYYY-MM-DD, Asia/Shanghai calendar day
  set_by TEXT NOT NULL,
  set_at TEXT NOT NULL,
  PRIMARY KEY (year, org_id, kind)
);

CREATE TABLE pledges (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id INTEGER NOT NULL REFERENCES organizations(id),
  year INTEGER NOT NULL,
  -- the approved version in force (null until the first approval)
  current_version_id INTEGER,
  created_at TEXT NOT NULL,
  UNIQUE (org_id, year)
);

CREATE TABLE pledge_versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pledge_id INTEGER NOT NULL REFERENCES pledges(id),
  version_no INTEGER NOT NULL,
  status TEXT NOT NULL,            -- draft | submitted | returned | approved | superseded
  profile TEXT NOT NULL,           -- JSON: name, gender, birth_month, position, term_start, contact
  revision INTEGER NOT NULL DEFAULT 0,  -- bumped on every save: a card showing an older one is stale
  based_on_version_id INTEGER,
  author_open_id TEXT NOT NULL,
  submitted_by TEXT,
  submitted_by_name TEXT,
  submitted_at TEXT,
  reviewed_by TEXT,
  reviewed_by_name TEXT,
  review_org_id INTEGER,
  reviewed_at TEXT,
  opinion TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (pledge_id, version_no)
);
CREATE INDEX pledge_versions_status ON pledge_versions(status, pledge_id);

CREATE TABLE pledge_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version_id INTEGER NOT NULL REFERENCES pledge_versions(id),
  position INTEGER NOT NULL,
  item_key TEXT NOT NULL,          -- the same promise keeps its key across versions
  content TEXT NOT NULL,
  standard TEXT NOT NULL,
  due_date TEXT NOT NULL,
  follows_key TEXT,                -- 再承诺: the completed item this one follows
  UNIQUE (version_id, position)
);
CREATE INDEX pledge_items_key ON pledge_items(item_key);

-- Completion of an item (from practice reports, or marked by the secretary).
CREATE TABLE item_states (
  item_key TEXT PRIMARY KEY,
  pledge_id INTEGER NOT NULL REFERENCES pledges(id),
  status TEXT NOT NULL,            -- done
  done_at TEXT NOT NULL,
  done_by TEXT NOT NULL
);

CREATE TABLE pledge_opinions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pledge_id INTEGER NOT NULL REFERENCES pledges(id),
  version_id INTEGER NOT NULL REFERENCES pledge_versions(id),
  author_open_id TEXT NOT NULL,
  author_name TEXT,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL,
  event_id TEXT NOT NULL UNIQUE
);
CREATE INDEX pledge_opinions_pledge ON pledge_opinions(pledge_id, id);
