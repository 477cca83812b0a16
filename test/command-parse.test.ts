import { describe, expect, it } from 'vitest';
import { parseCommand, stripMentions, suggestCommand } from '../src/domain/commands.js';

/** Reading a chat message as a command (src/domain/commands.ts): words, aliases, mentions, glued words. */
describe('commands', () => {
  it('strips @-mention placeholders and squeezes spaces', () => {
    expect(stripMentions('@_user_1  绑定   U-A @_user_12')).toBe('绑定 U-A');
    expect(stripMentions('@_all 大家好')).toBe('大家好');
    expect(stripMentions('  ')).toBe('');
  });

  it.each([
    ['帮助', 'help', []],
    ['help', 'help', []],
    ['HELP', 'help', []],
    ['/help', 'help', []],
    ['/ 帮助', 'help', []],
    ['／我的', 'me', []],
    ['@_user_1 绑定 U-A', 'bind', ['U-A']],
    ['bind  U-A   extra', 'bind', ['U-A', 'extra']],
    ['取消', 'cancel', []],
    // with the punctuation people type after a sentence; a lone ? is 帮助 itself
    ['帮助。', 'help', []],
    ['帮助!', 'help', []],
    ['我的？', 'me', []],
    ['?', 'help', []],
    ['导出 台账 HENU。', 'export', ['台账', 'HENU']],
    // words for the pledge people use
    ['承诺书', 'pledge', []],
    ['我的承诺', 'pledge', []],
    ['承诺书 2027', 'pledge', ['2027']],
  ])('parses %j as %s', (raw, name, args) => {
    const c = parseCommand(raw);
    expect(c.name).toBe(name);
    expect(c.args).toEqual(args);
  });

  it('leaves what is no command unnamed, keeping its words', () => {
    expect(parseCommand('今天天气不错')).toMatchObject({ name: undefined, word: '今天天气不错', args: [] });
    expect(parseCommand('')).toMatchObject({ name: undefined, word: '' });
    expect(parseCommand('helpme')).toMatchObject({ name: undefined });
  });

  it.each([
    ['导出台账', 'export', ['台账']],
    ['导出承诺书', 'export', ['承诺书']],
    ['导出台账 U-A 2027', 'export', ['台账', 'U-A', '2027']],
    ['导出台账U-A 2027', 'export', ['台账', 'U-A', '2027']],
    ['导出承诺书2027', 'export', ['承诺书', '2027']],
    ['导出 台账2027', 'export', ['台账', '2027']],
    ['承诺对话', 'pledge', ['对话']],
    ['承诺HENU-WXY', 'pledge', ['HENU-WXY']],
    ['承诺2027', 'pledge', ['2027']],
    ['绑定HENU-WXY', 'bind', ['HENU-WXY']],
    ['@_user_1 绑定U-A', 'bind', ['U-A']],
    ['/绑定U-A', 'bind', ['U-A']],
    ['期限一季度 2027-04-05', 'deadline', ['一季度', '2027-04-05']],
    ['期限第四季度2027-12-20 U-A', 'deadline', ['第四季度', '2027-12-20', 'U-A']],
    ['截止承诺书 2027-01-15', 'deadline', ['承诺书', '2027-01-15']],
    ['期限承诺2027-01-15', 'deadline', ['承诺', '2027-01-15']],
  ])('parses %j, typed without a space, as %s %j', (raw, name, args) => {
    const c = parseCommand(raw);
    expect(c).toMatchObject({ name, args });
    expect(c.word).toBe(stripMentions(raw).replace(/^\//, '').split(' ')[0]); // as typed, for replies quoting it
  });

  it.each([
    '承诺书怎么写', // 承诺书 + 怎么写: a sentence, not the pledge command
    '导出台账的方法',
    '导出台帐',
    '帮助我',
    '我的天',
    '取消了',
    '期限是哪天',
    '绑定一下',
    'helpme', // English words need their space
    'bindU-A',
    '？2027',
  ])('leaves %j, a command word with more glued on, unrecognised', (raw) => {
    expect(parseCommand(raw)).toMatchObject({ name: undefined, word: raw, args: [] });
  });

  it('still suggests the command for a glued word it does not take', () => {
    expect(suggestCommand(parseCommand('承诺了').word)).toBe('pledge');
    expect(suggestCommand(parseCommand('帮组').word)).toBe('help');
  });

  it.each([
    ['帮组', 'help'],
    ['hlep', 'help'],
    ['hel', 'help'],
    ['bnid', 'bind'],
    ['绑', 'bind'],
    ['审合', 'review'],
  ])('suggests for the typo %j: %s', (typo, name) => {
    expect(suggestCommand(typo)).toBe(name);
  });

  it.each(['', '嗯', '好', 'x', '今天天气不错', 'xyzzy'])('suggests nothing for %j', (text) => {
    expect(suggestCommand(text)).toBeUndefined();
  });
});
