import type { DialogHandler } from '../dialogs.js';
import { pledgeDialogExpired } from './pledge-dialog.js';

/** Dialog kind → what the first message after it ran out is told (handlers/on-message.ts). */
export const DIALOG_EXPIRED: Record<string, DialogHandler> = { pledge: pledgeDialogExpired };
