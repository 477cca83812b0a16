import type { CardActionTable } from '../on-card-action.js';
import { meShow } from './me-show.js';
import { pledgeAbandon, pledgeComment, pledgeDownload, pledgeItemDone, pledgeRepledge, pledgeRevise, pledgeVersions } from './pledge-after.js';
import { pledgeAddItem, pledgeChat, pledgeEdit, pledgeOpen, pledgeSave, pledgeSubmit } from './pledge-filing.js';
import { pledgeApprove, pledgeReturn, pledgeReviewOpen } from './pledge-review.js';

/** Every card action id the bot answers. Ids are stable: they live in cards already sent. */
export const ACTION_TABLE: CardActionTable = {
  'me.show': meShow,
  'pledge.open': pledgeOpen,
  'pledge.save': pledgeSave,
  'pledge.add_item': pledgeAddItem,
  'pledge.submit': pledgeSubmit,
  'pledge.edit': pledgeEdit,
  'pledge.chat': pledgeChat,
  'pledge.approve': pledgeApprove,
  'pledge.return': pledgeReturn,
  'pledge.review_open': pledgeReviewOpen,
  'pledge.revise': pledgeRevise,
  'pledge.abandon': pledgeAbandon,
  'pledge.item_done': pledgeItemDone,
  'pledge.repledge': pledgeRepledge,
  'pledge.versions': pledgeVersions,
  'pledge.download': pledgeDownload,
  'pledge.comment': pledgeComment,
};
