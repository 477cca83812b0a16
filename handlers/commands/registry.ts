import type { CommandName } from '../../src/domain/commands.js';
import type { Deps } from '../../src/usecases/deps.js';
import type { MessageContext } from '../context.js';

export type CommandHandler = (deps: Deps, ctx: MessageContext) => Promise<void>;

/** Command word → handler. Features add theirs in handlers/commands/index.ts. */
export type CommandTable = Partial<Record<CommandName, CommandHandler>>;
