/**
 * `〈组织编码〉〈年份〉` in either order: a 4-digit word is the year, the first other word the code.
 * `extra`: words beyond one code and one year ("HENU 27", "HENU 2027 多余"), which a command refuses
 * rather than ignore.
 */
export function codeAndYear(args: string[]): { code: string | undefined; year: number | undefined; extra: string[] } {
  const isYear = (a: string) => /^\d{4}$/.test(a);
  const years = args.filter(isYear);
  const others = args.filter((a) => !isYear(a));
  return { code: others[0], year: years[0] ? Number(years[0]) : undefined, extra: [...years.slice(1), ...others.slice(1)] };
}
