import { z } from 'zod';
import type { PledgeContent } from '../../domain/pledge-changes.js';

const StoredContent = z.object({
  profile: z.object({ name: z.string(), gender: z.string(), birth_month: z.string(), position: z.string(), term_start: z.string(), contact: z.string() }),
  items: z.array(z.object({ key: z.string(), content: z.string(), standard: z.string(), due: z.string() })),
});

/**
 * What a version held when it was returned (pledge_versions.returned_content): a returned version
 * is edited in place by its secretary, so anyone else reads it as it was returned — what was
 * signed and decided on — not edits nobody has submitted. Undefined when none was kept (returned
 * before migration 0008) or it cannot be read.
 */
export function parseReturnedContent(stored: string | null): PledgeContent | undefined {
  if (!stored) return undefined;
  try {
    const parsed = StoredContent.safeParse(JSON.parse(stored));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
