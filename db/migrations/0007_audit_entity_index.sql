-- "Is this step already in the log?" (appendAudit's `once`): a decision, submission or withdrawal
-- finished again after a cut writes its audit row only if it is not there. Without an index that
-- question read the whole log, which only grows.
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id, action, at);
