-- On Workers every invocation drains the outbox of one D1 database, each with a rate limiter of
-- its own: side by side, or one just after another, they could send a chat 10 messages in a
-- second where Feishu allows 5. So there one invocation drains at a time (outbox_drainer) and
-- builds its limits from what was sent recently (outbox.tried_at). Node, the one sender on its
-- database, leaves tried_at NULL: the partial index then costs its sends nothing.
ALTER TABLE outbox ADD COLUMN tried_at TEXT; -- when the last try of this row got its answer
CREATE INDEX outbox_tried ON outbox(tried_at) WHERE tried_at IS NOT NULL;

CREATE TABLE outbox_drainer (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  holder TEXT NOT NULL,
  until TEXT NOT NULL,           -- the drainer's lease: past it, another may take over
  app_paused_until TEXT          -- after Feishu's app-wide 429: nobody sends before this
);
