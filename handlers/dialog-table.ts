import { pledgeDialog } from './dialogs/pledge-dialog.js';
import type { DialogTable } from './dialogs.js';

/** Dialog kind → handler. Features with a conversational path add theirs here. */
export const DIALOG_TABLE: DialogTable = { pledge: pledgeDialog };
