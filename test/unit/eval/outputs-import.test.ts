import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, EvalSystem, InterviewTranscript } from '../../../common/contract';
import { fixture, tempDir } from '../../support/paths';
import { runCliIn } from '../../support/cli';
import { call, callError, createBeethoven, makeStudio } from '../../support/studio';

// `eval/import-outputs` on a real studio: the paper's released files (shared fixtures) laid out as
// its repository's gen_results folder and as flat files; every answer becomes a done interview of an
// imported system with the text exactly as released; thoughts apart; NONSTOP flagged; odd labels
// reported with file and line; names matching no character returned, never guessed; a broken file
// imports nothing.

let env: ReturnType<typeof makeStudio>;
let tmp: ReturnType<typeof tempDir>;
let beethoven: CharacterId;

const raw = (name: string) => fs.readFileSync(fixture(name), 'utf8');
const rawSingle = (name: string) => JSON.parse(raw(name)) as { question: string; reply: { content: string }[] }[];

/** gen_results as the paper's repository lays it out, from the fixture files (plus extra names). */
function genResults(root: string, extra: Record<string, string> = {}): string {
  const files: Record<string, string> = {
    'interview_single/Beethoven_sft_result/2023-00-00-00-00-00.json': raw('interview_single/Beethoven_sft.json'),
    'interview_single/Beethoven_chatgpt_result/2023-00-00-00-00-00.json': raw(
      'interview_single/Beethoven_chatgpt.json',
    ),
    'interview_turns/multiturn_Beethoven_sft_result/2023-00-00-00-00-00.jsonl': raw(
      'interview_turns/multiturn_Beethoven_sft.jsonl',
    ),
    'README.md': 'not an output',
    ...extra,
  };
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

async function transcripts(system: EvalSystem): Promise<InterviewTranscript[]> {
  const list = await call(env.studio, 'eval/interviews/list', { characterId: system.characterId, systemId: system.id });
  return Promise.all(list.map((i) => call(env.studio, 'eval/interviews/get', { id: i.id })));
}

beforeAll(async () => {
  env = makeStudio();
  tmp = tempDir('cs-outputs-');
  beethoven = await createBeethoven(env.studio);
});
afterAll(async () => {
  await env?.studio.shutdown();
  env?.cleanup();
  tmp?.cleanup();
});

describe('import of the paper’s released outputs', () => {
  it('imports a whole gen_results folder: every answer, text exact, thoughts apart, names not guessed', async () => {
    // A name of the paper's that matches no character here (its own typo), with a copy of Beethoven's file.
    const root = genResults(path.join(tmp.dir, 'gen_results'), {
      'interview_single/Hermonie_sft_result/2023-00-00-00-00-00.json': raw('interview_single/Beethoven_sft.json'),
    });
    const dry = await call(env.studio, 'eval/import-outputs', { paths: [root], dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(await call(env.studio, 'eval/systems/list', { characterId: beethoven })).toEqual([]);

    const report = await call(env.studio, 'eval/import-outputs', { paths: [root] });
    expect(report.unmatched).toEqual([
      { short: 'Hermonie', files: [path.join(root, 'interview_single/Hermonie_sft_result/2023-00-00-00-00-00.json')] },
    ]);
    expect(report.skipped).toEqual([path.join(root, 'README.md')]);
    const expectedSft = rawSingle('interview_single/Beethoven_sft.json');
    const expectedGpt = rawSingle('interview_single/Beethoven_chatgpt.json');
    const multiLines = raw('interview_turns/multiturn_Beethoven_sft.jsonl')
      .split('\n')
      .filter((l) => l.trim());
    const bySystem = Object.fromEntries(report.systems.map((s) => [s.system, s]));
    expect(bySystem.sft).toMatchObject({ single: expectedSft.length, multi: multiLines.length, nonstop: 0 });
    expect(bySystem.chatgpt).toMatchObject({ single: expectedGpt.length, multi: 0 });
    expect(expectedSft.length).toBe(82);
    expect(dry.systems.map((s) => [s.system, s.single, s.multi])).toEqual(
      report.systems.map((s) => [s.system, s.single, s.multi]),
    );

    const systems = await call(env.studio, 'eval/systems/list', { characterId: beethoven });
    expect(systems.map((s) => [s.label, s.kind]).sort()).toEqual([
      ['chatgpt (paper)', 'imported'],
      ['sft (paper)', 'imported'],
    ]);
    const sft = systems.find((s) => s.label === 'sft (paper)')!;
    const all = await transcripts(sft);
    const single = all.filter((t) => t.interview.mode === 'single');
    const multi = all.filter((t) => t.interview.mode === 'multi');
    expect(single).toHaveLength(82);
    expect(multi).toHaveLength(multiLines.length);
    expect(all.every((t) => t.interview.status === 'done')).toBe(true);
    // Each answer exactly as released, the question as the interviewer's turn.
    for (const [i, item] of expectedSft.entries()) {
      const t = single.find(
        (x) => x.interview.question === item.question && x.turns.at(-1)!.text === item.reply[0]!.content,
      );
      expect(t, `answer ${i + 1}`).toBeDefined();
      expect(t!.turns[0]).toMatchObject({ role: 'interviewer', text: item.question, round: 1 });
      expect(t!.turns[1]!.source).toMatch(/Beethoven_sft_result\/2023-00-00-00-00-00\.json#\d+$/);
    }
    // Thoughts kept apart: the file's three thought-only rounds are character turns with action thinking.
    const thinking = multi.flatMap((t) => t.turns).filter((t) => t.role === 'character' && t.action === 'thinking');
    const rawThinking = multiLines.flatMap((l) =>
      (JSON.parse(l) as { content: { turn_content: { action: string; content: string }[] }[] }).content.flatMap((c) =>
        c.turn_content.filter((x) => x.action === '(thinking)').map((x) => x.content),
      ),
    );
    expect(thinking.map((t) => t.text).sort()).toEqual(rawThinking.sort());
    expect(bySystem.sft!.thoughtOnlyRounds).toBe(rawThinking.length);
    expect(multi[0]!.interview.rounds).toBe(5);

    // Importing the same folder again leaves the systems (and anything judged of them) as they are.
    const again = await call(env.studio, 'eval/import-outputs', { paths: [root] });
    expect(again.systems).toEqual([]);
    expect(again.notices.join(' ')).toMatch(/already has a system "sft \(paper\)"/);
    expect(await transcripts(sft)).toHaveLength(all.length);

    // The user says who Hermonie is: only her files come in now.
    const hermione = await call(env.studio, 'characters/create', {
      fullName: 'Hermione Granger',
      shortName: 'Hermione',
      era: '',
      notes: '',
    });
    const mapped = await call(env.studio, 'eval/import-outputs', { paths: [root], map: { Hermonie: hermione.id } });
    expect(mapped.unmatched).toEqual([]);
    expect(mapped.systems.map((s) => [s.characterId, s.system, s.single])).toEqual([[hermione.id, 'sft', 82]]);
  });

  it('reads flat fixture files, flags NONSTOP and reports odd labels with file and line', async () => {
    const other = await call(env.studio, 'characters/create', {
      fullName: 'Flat Test',
      shortName: 'Flat',
      era: '',
      notes: '',
    });
    const items = rawSingle('interview_single/Beethoven_chatgpt.json').slice(0, 3) as unknown as {
      reply: { role: string; action: string; content: string }[];
    }[];
    items[1]!.reply[0]!.content += ' <|NONSTOP|>';
    items[2]!.reply = { ...items[2]!.reply[0]!, action: '((speaking)' } as never; // a bare object, an odd label
    const single = path.join(tmp.dir, 'Flat_gpt.json');
    fs.writeFileSync(single, JSON.stringify(items, null, 4));
    const multi = path.join(tmp.dir, 'multiturn_Flat_gpt.jsonl');
    fs.copyFileSync(fixture('interview_turns/multiturn_Beethoven_sft.jsonl'), multi);

    const report = await call(env.studio, 'eval/import-outputs', { paths: [single, multi] });
    expect(report.systems).toHaveLength(1);
    expect(report.systems[0]).toMatchObject({ characterId: other.id, system: 'gpt', single: 3, multi: 50, nonstop: 1 });
    const itemLine =
      fs
        .readFileSync(single, 'utf8')
        .split('\n')
        .findIndex((l, i, all) => i > 0 && l === '    {' && all.slice(0, i).filter((x) => x === '    {').length === 2) +
      1;
    expect(report.oddLabels).toEqual([{ file: single, line: itemLine, label: '((speaking)', readAs: 'speaking' }]);

    const [system] = await call(env.studio, 'eval/systems/list', { characterId: other.id });
    const all = await transcripts(system!);
    const cut = all.find((t) => t.interview.nonstop)!;
    expect(cut.turns.at(-1)).toMatchObject({
      nonstop: true,
      text: items[1]!.reply[0]!.content.replace(' <|NONSTOP|>', ''),
    });
    const odd = all.flatMap((t) => t.turns).find((t) => t.rawAction !== null)!;
    expect(odd).toMatchObject({ rawAction: '((speaking)', action: 'speaking' });
  });

  it('imports nothing from a folder with a broken file, naming the file and the line', async () => {
    const root = genResults(path.join(tmp.dir, 'broken'), {
      'interview_single/Beethoven_vicuna-7b_result/x.json':
        '[\n  {"topic_id": "topic-1", "question": "Q", "reply": []},\n  {"topic_id": "topic-1", "reply": []}\n]',
    });
    const fresh = makeStudio();
    try {
      await createBeethoven(fresh.studio);
      const error = await callError(fresh.studio, 'eval/import-outputs', { paths: [root] });
      expect(error.code).toBe('invalid_argument');
      expect(error.message).toMatch(/Beethoven_vicuna-7b_result\/x\.json, line 3: the entry has no `question`/);
      const [character] = await call(fresh.studio, 'characters/list', {});
      expect(await call(fresh.studio, 'eval/systems/list', { characterId: character!.id })).toEqual([]);
      expect(await call(fresh.studio, 'eval/questions/list', { characterId: character!.id })).toEqual([]);
    } finally {
      await fresh.studio.shutdown();
      fresh.cleanup();
    }
    const none = await callError(env.studio, 'eval/import-outputs', { paths: [path.join(tmp.dir, 'missing')] });
    expect(none.code).toBe('not_found');
    expect((await callError(env.studio, 'eval/import-outputs', {})).message).toMatch(/give a gen_results folder/);
  });

  it('import-outputs from the CLI: unmatched names listed with exit 1, --map imports them', async () => {
    const cli = makeStudio();
    try {
      await createBeethoven(cli.studio);
      await call(cli.studio, 'characters/create', {
        fullName: 'Hermione Granger',
        shortName: 'Hermione',
        era: '',
        notes: '',
      });
      await cli.studio.shutdown();
      const root = genResults(path.join(tmp.dir, 'cli'), {
        'interview_single/Hermonie_sft_result/2023-00-00-00-00-00.json': raw('interview_single/Beethoven_sft.json'),
      });
      const first = await runCliIn(cli.dir, ['import-outputs', root]);
      expect(first.code).toBe(1);
      expect(first.out).toMatch(
        /Imported Beethoven sft: 82 single-turn answers, 50 multi-turn interviews, 3 rounds with thoughts \(3 thought only\)/,
      );
      expect(first.out).toMatch(/No character for "Hermonie" \(1 file\): not imported/);
      expect(first.err).toMatch(/--map Hermonie=<character>/);
      const second = await runCliIn(cli.dir, ['import-outputs', root, '--map', 'Hermonie=Hermione Granger', '--json']);
      expect(second.code, second.err).toBe(0);
      const report = JSON.parse(second.out) as { systems: { short: string; single: number }[]; unmatched: unknown[] };
      expect(report.systems.map((s) => [s.short, s.single])).toEqual([['Hermonie', 82]]);
      expect(report.unmatched).toEqual([]);
      const bad = await runCliIn(cli.dir, ['import-outputs', root, '--map', 'Hermonie']);
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/--map takes Short=character/);
    } finally {
      cli.cleanup();
    }
  });
});
