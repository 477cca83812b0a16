import { cleanLine } from './document-text.js';
import { isPublished } from '../domain/pledge-rules.js';
import { PLEDGE_STATUS_LABEL } from '../domain/pledge-status.js';
import type { PledgeDocument } from './pledge-document.js';

/**
 * '2027年度公开承诺书-文学院中文系党支部.docx' (a revision adds '-第2版'; a version not approved
 * says so: '（草稿）'), safe as a file name.
 */
export function pledgeFileName(doc: Pick<PledgeDocument, 'year' | 'orgName' | 'version' | 'status'>): string {
  const org =
    Array.from(
      cleanLine(doc.orgName, 200)
        .replace(/[\u0000-\u001F\u007F<>:"/\\|?*]+/g, '_')
        .replace(/\s+/g, ' ')
        .trim()
        .replace(/^[.\s_]+|[.\s]+$/g, ''),
    )
      .slice(0, 60)
      .join('')
      .trim() || '党组织';
  const version = doc.version > 1 ? `-第${doc.version}版` : '';
  const unreviewed = isPublished(doc.status) ? '' : `（${PLEDGE_STATUS_LABEL[doc.status]}）`;
  return `${Math.trunc(doc.year)}年度公开承诺书-${org}${version}${unreviewed}.docx`;
}
