import { z } from 'zod';

/** Callback values of pledge cards. Only ids travel in them; everything else is reloaded. */
export const VersionRef = z.object({ pledge: z.coerce.number().int().positive() });
export const VersionRev = VersionRef.extend({ rev: z.coerce.number().int().nonnegative() });

/** A form field's text (inputs send strings; be lenient about numbers). */
export const fieldText = (form: Record<string, unknown>, name: string): string => {
  const v = form[name];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
};
