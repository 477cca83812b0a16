import { bind } from './bind.js';
import { help } from './help.js';
import { me } from './me.js';
import type { CommandTable } from './registry.js';

/** Every command that works. A word in COMMANDS but absent here is answered honestly as not yet open. */
export const COMMAND_TABLE: CommandTable = { help, me, bind };
