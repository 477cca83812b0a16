import type { DialogState } from '../db/repos/dialogs.js';
import type { Deps } from '../src/usecases/deps.js';
import type { MessageContext } from './context.js';

/** A multi-step conversation: gets each typed line while its state (in the database) is alive. */
export type DialogHandler = (deps: Deps, ctx: MessageContext, state: DialogState) => Promise<void>;

export type DialogTable = Record<string, DialogHandler>;
