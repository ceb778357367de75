import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Interview,
  InterviewJob,
  InterviewTranscript,
  QuestionSet,
  QuestionSetDetail,
} from '../../../common/contract';
import { runCliIn } from '../../support/cli';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server';
import { fixture, tempDir } from '../../support/paths';

// `character-studio questions` and `interview` on the same commands as the Evaluate tab: the
// paper's question file imports, an edit makes a version, a prompted baseline on the fake
// OpenAI-compatible server is interviewed single- and multi-turn, and a transcript reads back
// with the character's thoughts apart.

let tmp: ReturnType<typeof tempDir>;
let server: FakeLlmServer;
const cli = (...args: string[]) => runCliIn(tmp.dir, args);
/** `interview Beethoven` of the prompted baseline on the "Small" set, with these options. */
const interviewSmall = (...args: string[]) =>
  cli('interview', 'Beethoven', '--system', 'Prompted fake', '--set', 'Small', ...args);

beforeAll(async () => {
  tmp = tempDir('cs-cli-eval-');
  server = await startFakeLlmServer({
    responder: (req) => {
      const user = req.messages.at(-1)!.content;
      const round = /question for round (\d+) of/.exec(user)?.[1];
      if (round) return `Man: Round ${round}, go on?`;
      return { text: `I say: ${user}`, reasoning: `I think about: ${user}` };
    },
  });
  expect(
    (await cli('characters', 'create', '--full-name', 'Ludwig van Beethoven', '--short-name', 'Beethoven')).code,
  ).toBe(0);
  expect((await cli('profiles', 'import', 'Beethoven', fixture('wiki_Beethoven.txt'))).code).toBe(0);
  const added = await cli(
    'providers',
    'add',
    '--name',
    'Fake',
    '--preset',
    'custom',
    '--base-url',
    server.baseURL,
    '--model',
    'fake-model',
    '--api-key',
    'test-key',
  );
  expect(added.code, added.err).toBe(0);
}, 60_000);
afterAll(async () => {
  await server?.close();
  tmp?.cleanup();
});

describe('character-studio questions', () => {
  it('imports the paper file, lists it, edits it into a new version and shows the old one', async () => {
    const imported = await cli(
      'questions',
      'Beethoven',
      'import',
      fixture('generated_agent_interview_Beethoven.json'),
      '--name',
      'Paper',
      '--json',
    );
    expect(imported.code, imported.err).toBe(0);
    const detail = JSON.parse(imported.out) as QuestionSetDetail;
    expect(detail.questions).toHaveLength(82);
    const listed = JSON.parse((await cli('questions', 'Beethoven', 'list', '--json')).out) as QuestionSet[];
    expect(listed.map((s) => [s.name, s.counts.byTopic['topic-4']])).toEqual([['Paper', 5]]);
    const edit = await cli(
      'questions',
      'Beethoven',
      'edit',
      'Paper',
      '--reword',
      '1',
      '--text',
      'What of your father, truly?',
      '--delete',
      '2',
    );
    expect(edit.code, edit.err).toBe(0);
    expect(edit.out).toContain('Saved version 2: edited 1, deleted 1.');
    expect(edit.out).toContain('  1. [topic-2] What of your father, truly?');
    const old = await cli('questions', 'Beethoven', 'show', 'Paper', '--version', '1');
    expect(old.out).toContain('  1. [topic-2] What do you think of your father?');
    const bad = await cli('questions', 'Beethoven', 'edit', 'Paper', '--delete', '99');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--delete takes a question number from 1 to 81');
  });

  it('writes a set from scratch: empty then added to, or from plain text one question a line', async () => {
    const nameless = await cli('questions', 'Beethoven', 'create');
    expect(nameless.code).toBe(2);
    expect(nameless.err).toContain('Name the set: questions Beethoven create --name "<name>"');
    const empty = await cli('questions', 'Beethoven', 'create', '--name', 'By hand');
    expect(empty.code, empty.err).toBe(0);
    expect(empty.out).toContain('"By hand" (hand, version 1): 0 questions, 0 multi-turn goals');
    expect(empty.out).toContain('edit "By hand" --add "<question>"');
    const added = await cli(
      'questions',
      'Beethoven',
      'edit',
      'By hand',
      '--add',
      'Who was Neefe?',
      '--topic',
      'topic-2',
    );
    expect(added.out).toContain('  1. [topic-2] Who was Neefe?');

    const typed = await runCliIn(
      tmp.dir,
      ['questions', 'Beethoven', 'create', '--name', 'Typed', '--from', '-', '--topic', 'topic-3'],
      '# Bonn\n1. What do you value most?\n\n2. [topic-1] Where were you born?\n[topic-2, goal] find out how he got on with Haydn\n',
    );
    expect(typed.code, typed.err).toBe(0);
    expect(typed.out).toContain('"Typed" (hand, version 1): 2 questions, 1 multi-turn goal');
    expect(typed.out).toContain(
      [
        '  1. [topic-3] What do you value most?',
        '  2. [topic-1] Where were you born?',
        '  3. [topic-2, goal] find out how he got on with Haydn',
      ].join('\n'),
    );
    const nothing = await runCliIn(
      tmp.dir,
      ['questions', 'Beethoven', 'create', '--name', 'None', '--from', '-'],
      '\n# x\n',
    );
    expect(nothing.code).toBe(1);
    expect(nothing.err).toContain('Standard input holds no question: write one a line');

    // A .txt file imports the same way.
    const file = path.join(tmp.dir, 'probes.txt');
    fs.writeFileSync(file, 'Have you ever flown?\nWhat is Python?\n');
    const imported = await cli('questions', 'Beethoven', 'import', file, '--topic', 'topic-4');
    expect(imported.code, imported.err).toBe(0);
    expect(imported.out).toContain('"probes" (imported, version 1): 2 questions, 0 multi-turn goals · topic-4 2');
    for (const name of ['By hand', 'Typed', 'probes']) await cli('questions', 'Beethoven', 'archive', name);
  });

  it('refuses a file of another shape naming the file and the entry', async () => {
    const bad = await cli('questions', 'Beethoven', 'import', '-', '--name', 'Bad');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('stdin.json is not JSON');
  });
});

describe('character-studio interview', () => {
  it('adds a prompted system, interviews it single- and multi-turn, and shows a transcript', async () => {
    const hand = await cli('questions', 'Beethoven', 'import', '-', '--name', 'Two');
    expect(hand.code).toBe(1); // empty stdin: nothing to import
    const made = await runCliIn(
      tmp.dir,
      ['questions', 'Beethoven', 'import', '-', '--name', 'Small', '--json'],
      JSON.stringify([
        { topic_id: 'topic-1', topic: 'life', question: 'Where were you born?' },
        { topic_id: 'topic-3', topic: 'values', question: 'What do you value?' },
      ]),
    );
    expect(made.code, made.err).toBe(0);
    const system = await cli(
      'interview',
      'Beethoven',
      'add-system',
      '--kind',
      'prompted',
      '--provider',
      'Fake',
      '--name',
      'Prompted fake',
    );
    expect(system.code, system.err).toBe(0);
    const single = await interviewSmall('--json');
    expect(single.code, single.err).toBe(0);
    expect(single.err).toMatch(/\[succeeded\] interviews 2\/2/);
    const job = JSON.parse(single.out) as InterviewJob;
    expect(job).toMatchObject({ kind: 'interview', done: 2, total: 2 });
    await cli('questions', 'Beethoven', 'edit', 'Small', '--add', 'find out about his deafness', '--mode', 'multi');
    const multi = await interviewSmall('--mode', 'multi', '--rounds', '3');
    expect(multi.code, multi.err).toBe(0);
    const list = JSON.parse(
      (await cli('interview', 'Beethoven', 'list', '--mode', 'multi', '--json')).out,
    ) as Interview[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ rounds: 3, roundsDone: 3, status: 'done' });
    const shown = await cli('interview', 'Beethoven', 'show', list[0]!.id);
    expect(shown.out).toContain('Goal: find out about his deafness');
    expect(shown.out).toContain('  2. Man: Round 2, go on?');
    expect(shown.out).toContain('      (Beethoven thinks: I think about: Round 2, go on?)');
    expect(shown.out).toContain('  2. Beethoven: I say: Round 2, go on?');
    const json = JSON.parse(
      (await cli('interview', 'Beethoven', 'show', list[0]!.id, '--json')).out,
    ) as InterviewTranscript;
    expect(json.turns.filter((t) => t.action === 'thinking')).toHaveLength(3);
  });

  it('says what is missing', async () => {
    const none = await cli('interview', 'Beethoven', '--set', 'Small');
    expect(none.code).toBe(2);
    expect(none.err).toContain('--system <name[,name…]> --set <question set>');
    const unknown = await cli('interview', 'Beethoven', '--system', 'Nobody', '--set', 'Small');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('No system "Nobody". The character\'s systems: "Prompted fake".');
  });
  it('names sets, systems and interviews by the start of their ids, as the other commands do', async () => {
    const sets = JSON.parse((await cli('questions', 'Beethoven', 'list', '--json')).out) as QuestionSet[];
    const small = sets.find((s) => s.name === 'Small')!;
    const shown = await cli('questions', 'Beethoven', 'show', small.id.slice(0, 20));
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain('"Small" version 2 of 2');
    const systems = JSON.parse((await cli('interview', 'Beethoven', 'systems', '--json')).out) as { id: string }[];
    const listed = await cli('interview', 'Beethoven', 'list', '--system', systems[0]!.id.slice(0, 20), '--json');
    expect(listed.code, listed.err).toBe(0);
    const interviews = JSON.parse(listed.out) as Interview[];
    expect(interviews.length).toBeGreaterThan(0);
    const one = interviews.find((i) => i.mode === 'multi')!;
    const transcript = await cli('interview', 'Beethoven', 'show', one.id.slice(0, 24));
    expect(transcript.code, transcript.err).toBe(0);
    expect(transcript.out).toContain('Goal: find out about his deafness');
    // A start every interview shares names several: the refusal says so and what to do.
    const common = await cli('interview', 'Beethoven', 'show', interviews[0]!.id.slice(0, 4));
    expect(common.code).toBe(1);
    expect(common.err).toMatch(/starts the ids of \d+ interviews .*type more of the id/);
    const none = await cli('interview', 'Beethoven', 'show', 'ffff');
    expect(none.code).toBe(1);
    expect(none.err).toContain('See the ids with: character-studio interview Beethoven list');
  });
  it('interviews on an earlier version of a set with --version, and says which versions exist', async () => {
    // "Small" is at version 2 (a multi-turn goal added); version 1 holds the two questions alone.
    const old = await interviewSmall('--version', '1', '--mode', 'single', '--json');
    expect(old.code, old.err).toBe(0);
    const job = JSON.parse(old.out) as InterviewJob;
    expect(job.settings.setVersion).toBe(1);
    expect(job.done).toBe(2);
    const asked = JSON.parse(
      (await cli('interview', 'Beethoven', 'list', '--set', 'Small', '--json')).out,
    ) as Interview[];
    expect(
      asked
        .filter((i) => i.jobId === job.id)
        .map((i) => i.question)
        .sort(),
    ).toEqual(['What do you value?', 'Where were you born?']);
    const goals = await interviewSmall('--version', '1', '--mode', 'multi');
    expect(goals.code).toBe(1);
    expect(goals.err).toContain('"Small" (version 1) has no multi-turn goals');
    const missing = await interviewSmall('--version', '9');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('"Small" has no version 9; it has versions 1 to 2.');
    const bad = await interviewSmall('--version', 'old');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--version takes a version number of "Small" (1 to 2), not "old".');
  });
  it('archives a system: it leaves the lists and the report', async () => {
    const added = await cli(
      'interview',
      'Beethoven',
      'add-system',
      '--kind',
      'base',
      '--provider',
      'Fake',
      '--name',
      'Spare',
    );
    expect(added.code, added.err).toBe(0);
    const run = await cli('interview', 'Beethoven', '--system', 'Spare', '--set', 'Small', '--mode', 'single');
    expect(run.code, run.err).toBe(0);
    const archived = await cli('interview', 'Beethoven', 'archive-system', 'spare');
    expect(archived.code, archived.err).toBe(0);
    expect(archived.out).toContain('Archived "Spare": it leaves the lists and the report; its 2 interviews');
    const systems = JSON.parse((await cli('interview', 'Beethoven', 'systems', '--json')).out) as { label: string }[];
    expect(systems.map((s) => s.label)).toEqual(['Prompted fake']);
    const list = await cli('interview', 'Beethoven', 'list');
    expect(list.out).not.toContain('Spare');
    expect(list.out).not.toMatch(/^\S+ {2}[0-9a-f-]{36} ·/m); // no row left without its system's name
    const report = await cli('report', 'Beethoven');
    expect(report.out).not.toContain('Spare');
    expect(report.out).toMatch(/^Ludwig van Beethoven: 1 system$/m);
  });
});
