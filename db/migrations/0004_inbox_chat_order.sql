-- A chat's messages are handled in the order they came even when one fails and waits for a retry:
-- a pending message is not taken while an older one of its chat is still pending
-- (db/repos/inbound.ts leaseDelivery). This index answers "is an older one pending?" for a chat.
CREATE INDEX inbound_events_chat_pending ON inbound_events(chat_id, received_at) WHERE status = 'pending' AND chat_id IS NOT NULL;
