import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type OpenedSqlite } from '../db/open-sqlite.js';
import type { DoorDelivery } from '../src/door.js';
import { silentLogger, type Logger } from '../src/logger.js';
import { decodeLine, encodeLine, segmentName } from '../src/node/journal-format.js';
import { createJournalIngest } from '../src/node/journal-ingest.js';
import { listSegments, readChunk } from '../src/node/journal-reader.js';
import { journalSignal, JOURNAL_SIGNAL_BYTES } from '../src/node/journal-signal.js';
import { openJournalWriter, type JournalWriter } from '../src/node/journal-writer.js';

const at = new Date('2026-11-27T01:00:00.000Z');
const message = (n: number, chat = `oc_${n % 3}`, messageId = `om_${n}`): DoorDelivery => ({
  keys: [`ev_${n}`, `msg:${messageId}`],
  type: 'im.message.receive_v1',
  payload: JSON.stringify({ schema: '2.0', header: { event_id: `ev_${n}` }, text: `第${n}条\n换行 "引号"` }),
  chatId: chat,
  receivedAt: at,
});
const turn = () => new Promise<void>((r) => setImmediate(r));

describe("the door's journal", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pledge-journal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a line holds a delivery exactly (newlines and quotes in the payload included); anything else is not one', () => {
    const d = message(1);
    const line = encodeLine(d);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(decodeLine(line.slice(0, -1))).toEqual(d);
    for (const bad of ['', '{', '[]', '[["ev"],"t",null,"not a date","p"]', '[[],"t",null,"2026-11-27T00:00:00Z","p"]', '{"keys":["a"]}']) {
      expect(decodeLine(bad)).toBeUndefined();
    }
  });

  it('keeps the payload as received after a tab, and tells a line cut short or damaged from a delivery', () => {
    const d = message(2);
    const line = encodeLine(d).slice(0, -1);
    expect(line.slice(line.indexOf('\t') + 1)).toBe(d.payload); // not escaped again
    expect(decodeLine(line.slice(0, -3))).toBeUndefined(); // payload shorter than its stated length
    expect(decodeLine(`${line}}`)).toBeUndefined();
    expect(decodeLine(line.replace('"im.message', '"im.m\tessage'))).toBeUndefined();
    // JSON with a raw newline between tokens is escaped into the array instead: still one line.
    const pretty = { ...d, payload: JSON.stringify(JSON.parse(d.payload), null, 2) };
    const prettyLine = encodeLine(pretty);
    expect(prettyLine.indexOf('\n')).toBe(prettyLine.length - 1);
    expect(decodeLine(prettyLine.slice(0, -1))).toEqual(pretty);
    // A line as the journal wrote every delivery before (a segment left by an earlier version).
    const before = JSON.stringify([d.keys, d.type, d.chatId, d.receivedAt.toISOString(), d.payload]);
    expect(decodeLine(before)).toEqual(d);
  });

  it('writes each delivery before append resolves, tells the position once a turn, and rolls over to a new segment', async () => {
    const told: { segment: number; end: number }[] = [];
    const w = openJournalWriter({ dir, maxSegmentBytes: 600, onWritten: (p) => told.push(p) });
    await w.append(message(1));
    // On disk before the turn ends: a crash now loses nothing acknowledged.
    expect(readFileSync(join(dir, segmentName(1)), 'utf8')).toBe(encodeLine(message(1)));
    await Promise.all([2, 3, 4].map((n) => w.append(message(n))));
    expect(told).toEqual([]);
    await turn();
    expect(told).toHaveLength(1);
    expect(listSegments(dir).length).toBeGreaterThan(1); // 4 lines of ~200 bytes, 600 a segment
    const all = listSegments(dir).flatMap((s) => readChunk(dir, s, 0, undefined).deliveries);
    expect(all.map((d) => d.keys[0])).toEqual(['ev_1', 'ev_2', 'ev_3', 'ev_4']);
    w.close();
    await expect(w.append(message(5))).rejects.toThrow('closed');
    // The next run writes a segment of its own after every earlier one.
    const again = openJournalWriter({ dir });
    expect(again.position()).toEqual({ segment: Math.max(...listSegments(dir).slice(0, -1)) + 1, end: 0 });
    again.close();
  });

  it('when the next segment cannot be opened, goes on writing in this one and rolls over later', async () => {
    const w = openJournalWriter({ dir, maxSegmentBytes: 100 });
    const blocker = join(dir, segmentName(2));
    writeFileSync(blocker, ''); // 'wx' fails on it, as on a full disk or with no handles left
    await w.append(message(1));
    expect(w.position().segment).toBe(1);
    // A file opened now may get the number a closed segment gave back: nothing goes there.
    const other = join(dir, 'other.txt');
    const fd = openSync(other, 'w');
    await w.append(message(2));
    closeSync(fd);
    expect(readFileSync(other, 'utf8')).toBe('');
    expect(readChunk(dir, 1, 0, undefined).deliveries.map((d) => d.keys[0])).toEqual(['ev_1', 'ev_2']);
    rmSync(blocker);
    await w.append(message(3));
    expect(w.position()).toEqual({ segment: 2, end: 0 });
    await w.append(message(4));
    expect(readChunk(dir, 2, 0, undefined).deliveries.map((d) => d.keys[0])).toEqual(['ev_4']);
    w.close();
  });

  it('reads whole lines only, skips damaged ones, and reads on from where it stopped', () => {
    const file = join(dir, segmentName(7));
    writeFileSync(file, encodeLine(message(1)) + 'garbage\n' + encodeLine(message(2)));
    const cut = encodeLine(message(3));
    appendFileSync(file, cut.slice(0, 40)); // a line still being written (or cut short)
    const first = readChunk(dir, 7, 0, undefined);
    expect(first.deliveries.map((d) => d.keys[0])).toEqual(['ev_1', 'ev_2']);
    expect(first.damaged).toBe(1);
    expect(first.rest).toBe(40);
    appendFileSync(file, cut.slice(40));
    const next = readChunk(dir, 7, first.next, undefined);
    expect(next.deliveries.map((d) => d.keys[0])).toEqual(['ev_3']);
    expect(next.rest).toBe(0);
    // A small chunk size still makes progress, a line at a time.
    const small = readChunk(dir, 7, 0, undefined, 16);
    expect(small.deliveries.map((d) => d.keys[0])).toEqual(['ev_1']);
  });

  describe('moving it into the database', () => {
    let sqlite: OpenedSqlite;
    let pushed: [string, string | null][];
    let warnings: string[];
    const logger: Logger = { ...silentLogger, warn: (_o, msg) => warnings.push(msg ?? ''), child: () => logger };
    beforeEach(() => {
      sqlite = openSqlite(join(dir, 'bot.sqlite'));
      pushed = [];
      warnings = [];
    });
    afterEach(async () => sqlite.close());

    const ingestOf = (journalDir: string, w?: JournalWriter) =>
      createJournalIngest({ dir: journalDir, position: () => w?.position(), deps: { db: sqlite.db, logger }, inbox: { push: (key, lane) => pushed.push([key, lane]) }, chunkBytes: 300 });
    const rows = () => sqlite.db.selectFrom('inbound_events').select(['key', 'status', 'chat_id']).orderBy('key').execute();

    it('stores every delivery once, hands the new ones to the queue in order, and drops repeats', async () => {
      const jdir = join(dir, 'inbox');
      const w = openJournalWriter({ dir: jdir });
      const ingest = ingestOf(jdir, w);
      const p = () => ingest.wake();
      for (const n of [1, 2, 3]) await w.append(message(n));
      await w.append(message(1)); // Feishu delivered event 1 again
      await w.append({ ...message(9), keys: ['ev_9', 'msg:om_2'] }); // message 2 again, under a new event id
      p();
      await ingest.idle();
      expect(pushed).toEqual([
        ['ev_1', 'oc_1'],
        ['ev_2', 'oc_2'],
        ['ev_3', 'oc_0'],
      ]);
      const stored = await rows();
      expect(stored.filter((r) => r.status === 'pending').map((r) => r.key)).toEqual(['ev_1', 'ev_2', 'ev_3']);
      expect(stored.find((r) => r.key === 'ev_9')?.status).toBe('duplicate');
      // Told again with nothing new: nothing happens.
      p();
      await ingest.idle();
      expect(pushed).toHaveLength(3);
      w.close();
    });

    it('told through shared memory as the two threads are: reads while awake without being told, is woken once asleep, and misses no write made as it falls asleep', async () => {
      const jdir = join(dir, 'inbox');
      const signal = journalSignal(new SharedArrayBuffer(JOURNAL_SIGNAL_BYTES));
      let wakes = 0;
      let ingest: ReturnType<typeof createJournalIngest> | undefined;
      // The door's side, as start-node-bot.ts wires it.
      const w = openJournalWriter({ dir: jdir, onWritten: (p) => signal.publish(p) && (wakes++, ingest?.wake()) });
      signal.publish(w.position());
      let writeAsItSleeps: number | undefined;
      const asleep = () => {
        // The door writes after the ingest's last look and before it says it sleeps: no wake-up is sent.
        if (writeAsItSleeps !== undefined) {
          void w.append(message(writeAsItSleeps));
          writeAsItSleeps = undefined;
          expect(signal.publish(w.position())).toBe(false);
        }
        signal.sleep();
      };
      ingest = createJournalIngest({ dir: jdir, position: signal.read, asleep, deps: { db: sqlite.db, logger }, inbox: { push: (key, lane) => pushed.push([key, lane]) }, chunkBytes: 300 });
      ingest.wake(); // the thread has started
      await ingest.idle();
      expect(pushed).toEqual([]);

      for (const n of [1, 2]) await w.append(message(n));
      await new Promise((r) => setImmediate(r)); // the door's turn ends: it publishes and wakes the sleeper
      expect(wakes).toBe(1);
      writeAsItSleeps = 3;
      await ingest.idle();
      expect(pushed.map(([k]) => k)).toEqual(['ev_1', 'ev_2', 'ev_3']);
      // Asleep again: the next write wakes it, once for the turn.
      await new Promise((r) => setImmediate(r));
      const before = wakes;
      for (const n of [4, 5]) await w.append(message(n));
      await new Promise((r) => setImmediate(r));
      expect(wakes - before).toBe(1);
      await ingest.idle();
      expect(pushed.map(([k]) => k)).toEqual(['ev_1', 'ev_2', 'ev_3', 'ev_4', 'ev_5']);
      w.close();
    });

    it('after a crash reads what earlier runs left first, then deletes it; the segment being written stays', async () => {
      const jdir = join(dir, 'inbox');
      // An earlier run acknowledged 1–3 and died before they reached the database; a run before
      // that got 4 into the database too (and its journal was not yet deleted).
      const old = openJournalWriter({ dir: jdir });
      for (const n of [4]) await old.append(message(n));
      old.close();
      const older = openJournalWriter({ dir: jdir });
      for (const n of [1, 2, 3]) await older.append(message(n));
      older.close();
      appendFileSync(join(jdir, segmentName(2)), '["cut sh'); // the machine died mid-write
      await ingestOf(jdir).idle();

      const w = openJournalWriter({ dir: jdir });
      expect(w.position().segment).toBe(3);
      await w.append(message(5));
      const ingest = ingestOf(jdir, w);
      ingest.wake();
      await ingest.idle();
      expect(pushed.map(([k]) => k)).toEqual(['ev_4', 'ev_1', 'ev_2', 'ev_3', 'ev_5']);
      expect(listSegments(jdir)).toEqual([3]);
      expect(warnings).toContain('journal: a cut-short last line skipped');
      // Started again on the same journal (the bot thread restarted): claims are not repeated.
      const restarted = ingestOf(jdir, w);
      restarted.wake();
      await restarted.idle();
      expect(pushed).toHaveLength(5);
      expect((await rows()).filter((r) => r.status === 'pending')).toHaveLength(5);
      w.close();
    });

    it('when the database refuses, keeps the journal and tries again', async () => {
      const jdir = join(dir, 'inbox');
      const w = openJournalWriter({ dir: jdir });
      await w.append(message(1));
      const errors: string[] = [];
      const failing: Logger = { ...silentLogger, error: (_o, msg) => errors.push(msg ?? ''), child: () => failing };
      // A database without the table: every claim fails.
      const broken = openSqlite(join(dir, 'empty.sqlite'), { migrate: false });
      const ingest = createJournalIngest({ dir: jdir, position: () => w.position(), deps: { db: broken.db, logger: failing }, inbox: { push: (k, l) => pushed.push([k, l]) }, retryMs: 10 });
      ingest.wake();
      await new Promise((r) => setTimeout(r, 30));
      expect(errors[0]).toBe('journal: moving deliveries into the database failed');
      expect(pushed).toEqual([]);
      expect(existsSync(join(jdir, segmentName(1)))).toBe(true);
      ingest.stop();
      await ingest.idle();
      await broken.close();
      const healthy = ingestOf(jdir, w);
      healthy.wake();
      await healthy.idle();
      expect(pushed).toEqual([['ev_1', 'oc_1']]);
      w.close();
      expect(readdirSync(jdir)).toEqual([segmentName(1)]);
    });
  });
});
