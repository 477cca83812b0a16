import type { Generated, Selectable } from 'kysely';

/** Table name → row type. Timestamps are ISO-8601 UTC strings; JSON columns are TEXT. */
export interface Database {
  organizations: OrganizationsTable;
  people: PeopleTable;
  roles: RolesTable;
  chat_bindings: ChatBindingsTable;
  inbound_events: InboundEventsTable;
  outbox: OutboxTable;
  outbox_drainer: OutboxDrainerTable;
  dialogs: DialogsTable;
  settings: SettingsTable;
  audit_log: AuditLogTable;
  cycles: CyclesTable;
  cycle_deadlines: CycleDeadlinesTable;
  pledges: PledgesTable;
  pledge_versions: PledgeVersionsTable;
  pledge_items: PledgeItemsTable;
  item_states: ItemStatesTable;
  pledge_opinions: PledgeOpinionsTable;
  work_calendar: WorkCalendarTable;
}

export interface OrganizationsTable {
  id: Generated<number>;
  code: string;
  name: string;
  kind: string;
  parent_id: number | null;
  path: string;
  depth: number;
  updated_at: string;
}
export type Organization = Selectable<OrganizationsTable>;

export interface PeopleTable {
  id: Generated<number>;
  open_id: string | null;
  name: string;
  mobile: string | null;
  email: string | null;
  updated_at: string;
}
export type Person = Selectable<PeopleTable>;

export interface RolesTable {
  person_id: number;
  org_id: number;
  role: string;
}

export interface ChatBindingsTable {
  chat_id: string;
  org_id: number;
  bound_by: string | null;
  bound_at: string;
}

export interface InboundEventsTable {
  key: string;
  event_type: string;
  payload: string;
  status: string;
  response: string | null;
  attempts: Generated<number>;
  error: string | null;
  received_at: string;
  processed_at: string | null;
  /** Held by one handler until then; a failed try waits until then (0003). */
  lease_until: Generated<string | null>;
  /** The chat of a message: handled in order within it (0003). */
  chat_id: Generated<string | null>;
}

export interface OutboxTable {
  id: Generated<number>;
  msg_key: string;
  uuid: string;
  op: string;
  receive_id_type: string | null;
  receive_id: string | null;
  target_message_id: string | null;
  msg_type: string;
  content: string;
  file_name: string | null;
  file_data: Uint8Array | null;
  status: string;
  attempts: Generated<number>;
  next_attempt_at: string;
  lease_until: string | null;
  last_error: string | null;
  result_message_id: string | null;
  created_at: string;
  sent_at: string | null;
  /** Workers only (0005_shared_outbox.sql): when the last try got its answer. */
  tried_at: string | null;
}
export type OutboxRow = Selectable<OutboxTable>;

export interface OutboxDrainerTable {
  id: number;
  holder: string;
  until: string;
  app_paused_until: string | null;
}

export interface DialogsTable {
  open_id: string;
  kind: string;
  step: string;
  data: string;
  expires_at: string;
  updated_at: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  before: string | null;
  after: string | null;
  prev_hash: string;
  hash: string;
}
export type AuditRow = Selectable<AuditLogTable>;

export interface CyclesTable {
  year: number;
  created_at: string;
}

export interface WorkCalendarTable {
  day: string;
  kind: 'holiday' | 'workday';
  name: Generated<string>;
  set_by: string;
  set_at: string;
}

export interface CycleDeadlinesTable {
  year: number;
  org_id: number;
  kind: string;
  due_date: string;
  set_by: string;
  set_at: string;
}

export interface PledgesTable {
  id: Generated<number>;
  org_id: number;
  year: number;
  current_version_id: number | null;
  created_at: string;
}
export type PledgeRow = Selectable<PledgesTable>;

export interface PledgeVersionsTable {
  id: Generated<number>;
  pledge_id: number;
  version_no: number;
  status: string;
  profile: string;
  revision: Generated<number>;
  based_on_version_id: number | null;
  author_open_id: string;
  submitted_by: string | null;
  submitted_by_name: string | null;
  submitted_at: string | null;
  reviewed_by: string | null;
  reviewed_by_name: string | null;
  review_org_id: number | null;
  reviewed_at: string | null;
  opinion: string | null;
  created_at: string;
  updated_at: string;
  /** JSON PledgeContent as it was at its last return (migration 0008). */
  returned_content: string | null;
  submitted_card_message_id: string | null;
}
export type PledgeVersionRow = Selectable<PledgeVersionsTable>;

export interface PledgeItemsTable {
  id: Generated<number>;
  version_id: number;
  position: number;
  item_key: string;
  content: string;
  standard: string;
  due_date: string;
  follows_key: string | null;
}
export type PledgeItemRow = Selectable<PledgeItemsTable>;

export interface ItemStatesTable {
  item_key: string;
  pledge_id: number;
  status: string;
  done_at: string;
  done_by: string;
}

export interface PledgeOpinionsTable {
  id: Generated<number>;
  pledge_id: number;
  version_id: number;
  author_open_id: string;
  author_name: string | null;
  text: string;
  created_at: string;
  event_id: string;
}
