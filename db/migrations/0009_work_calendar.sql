-- The work calendar's exceptions to Monday–Friday (src/domain/work-calendar.ts): statutory
-- holidays on weekdays and make-up working days on weekends, imported from each year's notice.
-- Deadlines that fall on a day off move to the next working day.
CREATE TABLE work_calendar (
  day TEXT PRIMARY KEY,            -- YYYY-MM-DD
  kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
  name TEXT NOT NULL DEFAULT '',   -- 春节, 国庆节调休上班 …
  set_by TEXT NOT NULL,
  set_at TEXT NOT NULL
);
