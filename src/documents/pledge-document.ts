import type { PledgeStatus } from '../domain/pledge-status.js';

/**
 * What the printable 公开承诺书 (the seed's 附件2) shows: a plain view model, built by the pledge
 * use-cases from the stored pledge version and handed to the renderer. No I/O, no clock.
 */

export interface PledgeDocumentItem {
  n: number;
  content: string;
  standard: string;
  /** 完成时限, a calendar date 'YYYY-MM-DD' */
  due: string;
  /** 再承诺: the number of the earlier (completed) item this one follows */
  followsN?: number;
}

export interface PledgeDocumentReview {
  opinion: string;
  reviewerName: string;
  reviewOrgName: string;
  /** ISO time of the decision */
  reviewedAt: string;
}

export interface PledgeDocument {
  /** the cycle year, e.g. 2027 → title "2027年度党组织书记公开承诺书" */
  year: number;
  /** 党组织名称 */
  orgName: string;
  profile: {
    /** 姓名 */
    name: string;
    /** 性别 (男/女) */
    gender: string;
    /** 出生年月 'YYYY-MM' */
    birthMonth: string;
    /** 职务 */
    position: string;
    /** 任职时间 'YYYY-MM-DD' */
    termStart: string;
    /** 联系方式 */
    contact: string;
  };
  items: PledgeDocumentItem[];
  /** 第几版 (1 = first; >1 = 回头审诺 revision) */
  version: number;
  status: PledgeStatus;
  /** 承诺人签字: the secretary's name as signed electronically (Feishu identity); null = sign by hand */
  signedBy: string | null;
  /** ISO time of submission */
  signedAt: string | null;
  /**
   * 上一级党组织审定意见 + 盖章 + 日期. The 盖章 block is printed only for an approved (or since
   * superseded) version; for other statuses an opinion, if given, is printed without a stamp.
   */
  review: PledgeDocumentReview | null;
  /** dates are shown in this IANA zone, e.g. 'Asia/Shanghai' */
  timeZone: string;
}

