import type { CardActionTable } from '../on-card-action.js';
import { meShow } from './me-show.js';

/** Every card action id the bot answers. Ids are stable: they live in cards already sent. */
export const ACTION_TABLE: CardActionTable = {
  'me.show': meShow,
};
