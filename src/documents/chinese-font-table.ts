/**
 * word/fontTable.xml naming the fonts the forms use, as Chinese Word writes it: 宋体 and 黑体 with
 * their English names (SimSun, SimHei), GB2312 charset and panose, so that Word on a non-Chinese
 * system and WPS find or substitute the right faces. The docx package leaves the table empty;
 * pass this to `Packer.pack(doc, type, false, [CHINESE_FONT_TABLE])`. Constant text, no user input.
 */
const FONTS = [
  { name: 'Times New Roman', alt: null, panose: '02020603050405020304', charset: '00', family: 'roman', pitch: 'variable' },
  { name: '宋体', alt: 'SimSun', panose: '02010600030101010101', charset: '86', family: 'auto', pitch: 'variable' },
  { name: '黑体', alt: 'SimHei', panose: '02010609060101010101', charset: '86', family: 'modern', pitch: 'fixed' },
] as const;

const xml =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
  FONTS.map(
    (f) =>
      `<w:font w:name="${f.name}">` +
      (f.alt === null ? '' : `<w:altName w:val="${f.alt}"/>`) +
      `<w:panose1 w:val="${f.panose}"/><w:charset w:val="${f.charset}"/>` +
      `<w:family w:val="${f.family}"/><w:pitch w:val="${f.pitch}"/></w:font>`,
  ).join('') +
  '</w:fonts>';

export const CHINESE_FONT_TABLE = { path: 'word/fontTable.xml', data: xml } as const;
