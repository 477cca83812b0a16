/** `〈组织编码〉〈年份〉` in either order: a 4-digit word is the year, the first other word the code. */
export function codeAndYear(args: string[]): { code: string | undefined; year: number | undefined } {
  const yearWord = args.find((a) => /^\d{4}$/.test(a));
  return { code: args.find((a) => !/^\d{4}$/.test(a)), year: yearWord ? Number(yearWord) : undefined };
}
