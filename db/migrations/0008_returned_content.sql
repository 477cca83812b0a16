-- What a version held when it was last returned (JSON: profile and items with their keys), so the
-- review card of its resubmission can say what changed since (the version is edited in place).
ALTER TABLE pledge_versions ADD COLUMN returned_content TEXT;
