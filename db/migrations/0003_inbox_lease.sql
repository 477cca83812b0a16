-- The inbox as a work queue (src/inbox-queue.ts): message handling waits behind the door, and
-- under load acknowledged deliveries wait here, in arrival order, until the queue reads them back.

-- Whoever handles a pending delivery (the live queue, tick's recovery, another instance) first
-- leases it; nobody else takes it before the lease ends. A try that failed for a passing reason
-- sets it to when the next try may start.
ALTER TABLE inbound_events ADD COLUMN lease_until TEXT;

-- The chat a message came from: each chat's messages are handled one at a time, in order.
ALTER TABLE inbound_events ADD COLUMN chat_id TEXT;
