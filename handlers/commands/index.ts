import { bind } from './bind.js';
import { deadline } from './deadline.js';
import { exportCommand } from './export.js';
import { help } from './help.js';
import { me } from './me.js';
import { pledge } from './pledge.js';
import { review } from './review.js';
import type { CommandTable } from './registry.js';

/** Every command that works. A word in COMMANDS but absent here is answered honestly as not yet open. */
export const COMMAND_TABLE: CommandTable = { help, me, bind, pledge, review, export: exportCommand, deadline };
