import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { JudgeDimension } from '../../common/contract';
import { REPORT_DIMENSIONS } from '../../main/core/eval/report-build';
import { clippedSelects } from '../support/browser';
import { fakeProviderDraft } from '../support/drafts';
import { paperAnswers, paperRounds, questionSet, seedSystem } from '../support/eval-seed';
import { scoreOf, seedJudgments, seedPairs, type SeedJudgment } from '../support/report-seed';
import { seedOnce } from '../support/seed-once';
import { call, createBeethoven, makeStudio } from '../support/studio';
import { openEvaluate, useServePage } from '../support/serve-page';

// The evaluation bench at the smallest window the studio supports (1024×700) and a common one
// (1440×900), in both themes, with names as long as real ones: a provider and judge models named
// as hosted models are, and systems named after their runs. The Judge form's fields stay on one
// row and line up, its selects show the whole chosen name, and the report's multi-turn table
// keeps the system's name in view when it scrolls sideways.

const SYSTEMS = ['Beethoven SFT · epoch 10 (paper release)', 'ChatGPT baseline (paper release)'] as const;
const JUDGES = ['gpt-4o-2024-08-06', 'meta-llama/Llama-3.1-70B-Instruct-Turbo'] as const;
const SINGLE = 6;

const seed = seedOnce('cs-e2e-bench-seed-', async (dir) => {
  const env = makeStudio(dir);
  try {
    const characterId = await createBeethoven(env.studio);
    await call(env.studio, 'providers/create', {
      ...fakeProviderDraft('http://127.0.0.1:9/v1', 'OpenRouter · judges'),
      model: 'anthropic/claude-3.5-sonnet-20241022',
    });
    const singles = await questionSet(
      env.studio,
      characterId,
      'Paper questions',
      paperAnswers('Beethoven_sft')
        .slice(0, SINGLE)
        .map((a) => ({ topicId: a.topic_id, text: a.question, mode: 'single' as const })),
    );
    const goals = await questionSet(env.studio, characterId, 'Goals', [
      { topicId: 'topic-1', text: 'Ask about his deafness', mode: 'multi' },
      { topicId: 'topic-3', text: 'Ask what he values in music', mode: 'multi' },
    ]);
    const multiRounds = goals.map(() => [
      { character: [{ action: 'speaking' as const, text: 'Let me tell you.' }] },
      { interviewer: 'And then?', character: [{ action: 'speaking' as const, text: 'Then I wrote on.' }] },
    ]);
    const interviews: Record<string, { id: string; mode: 'single' | 'multi' }[]> = {};
    const ids: string[] = [];
    for (const [n, label] of SYSTEMS.entries()) {
      const answers = paperAnswers(n === 0 ? 'Beethoven_sft' : 'Beethoven_chatgpt').slice(0, SINGLE);
      const s = await seedSystem(env.studio, characterId, label, singles, paperRounds(answers));
      const m = await seedSystem(env.studio, characterId, `${label} (multi)`, goals, multiRounds);
      // One system per label: its multi-turn interviews move onto it.
      env.studio.db.prepare('UPDATE interviews SET system_id = ? WHERE system_id = ?').run(s.system.id, m.system.id);
      env.studio.db.prepare('UPDATE eval_systems SET archived_at = 1 WHERE id = ?').run(m.system.id);
      ids.push(s.system.id);
      interviews[label] = [
        ...s.interviews.map((id) => ({ id, mode: 'single' as const })),
        ...m.interviews.map((id) => ({ id, mode: 'multi' as const })),
      ];
    }
    const judged: SeedJudgment[] = [];
    for (const [j, model] of JUDGES.entries())
      for (const label of SYSTEMS)
        interviews[label]!.forEach(({ id, mode }, i) => {
          for (const dimension of REPORT_DIMENSIONS[mode] as JudgeDimension[])
            judged.push({
              interviewId: id as never,
              dimension,
              score: scoreOf(label + model, i, dimension),
              model,
              at: 1_000 + j,
            });
        });
    seedJudgments(env.studio.db, characterId, judged);
    seedPairs(
      env.studio.db,
      characterId,
      interviews[SYSTEMS[0]]!.slice(0, SINGLE).map(({ id }, i) => ({
        systemA: ids[0]!,
        systemB: ids[1]!,
        interviewA: id as never,
        interviewB: interviews[SYSTEMS[1]]![i]!.id as never,
        dimension: 'values',
        ab: i % 3 === 0 ? 'a' : 'b',
        ba: i % 2 === 0 ? 'a' : 'b',
        model: JUDGES[1],
      })),
    );
  } finally {
    env.studio.close();
  }
});

const session = useServePage('cs-e2e-bench-layout-', { width: 1024, height: 700 }, seed);
const VIEWPORTS = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
] as const;

/** Each select of the Judge tab: its chosen text, whether it is clipped, and its title. */
function selectsOf(page: Page) {
  return page.locator('.eval-judge select').evaluateAll((all) =>
    (all as HTMLSelectElement[]).map((s) => ({
      text: s.selectedOptions[0]?.textContent ?? '',
      clipped: s.scrollWidth > s.clientWidth,
      title: s.title,
    })),
  );
}

/** The Judge form's first row: each field's label top and its control's top and bottom, in CSS pixels. */
function fieldsOf(page: Page) {
  return page.locator('.judge-fields > .field').evaluateAll((fields) =>
    fields.map((field) => {
      const label = field.firstElementChild!.getBoundingClientRect();
      const control = field.querySelector('input, select')!.getBoundingClientRect();
      return { label: label.top, top: control.top, bottom: control.bottom, right: control.right };
    }),
  );
}

async function themed(page: Page, name: string, shot: (name: string) => Promise<void>): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    // The studio follows the system's scheme by a media listener: shot once it has.
    await page.waitForFunction((want) => document.documentElement.dataset.theme === want, scheme);
    await shot(`${name}-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('the Judge tab', () => {
  it('keeps its form on one row and shows whole names at 1024 and 1440 px, in both themes', async () => {
    const { page, serve, shot } = session;
    await page.goto(serve.url);
    await openEvaluate(page, 'Judge');
    const form = page.getByRole('form', { name: 'Start judging' });
    await form.getByLabel('Also compare two systems').check();
    await form.getByLabel('System A').selectOption({ label: SYSTEMS[0] });
    await form.getByLabel('System B').selectOption({ label: SYSTEMS[1] });
    const card = page.getByRole('region', { name: 'Pairwise' });
    await card.getByLabel('System A').selectOption({ label: SYSTEMS[0] });
    await card.getByLabel('System B').selectOption({ label: SYSTEMS[1] });
    await card.locator('tbody tr').first().waitFor();
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      // Provider, model, interviews, retries and budget on one row, labels and edges lined up,
      // and inside the form.
      await expect.poll(async () => (await fieldsOf(page)).length).toBe(5);
      const fields = await fieldsOf(page);
      const edge = await form.evaluate((el) => el.getBoundingClientRect().right);
      for (const f of fields) {
        expect(Math.abs(f.label - fields[0]!.label), JSON.stringify(fields)).toBeLessThanOrEqual(0.5);
        expect(Math.abs(f.top - fields[0]!.top)).toBeLessThanOrEqual(0.5);
        expect(Math.abs(f.bottom - fields[0]!.bottom)).toBeLessThanOrEqual(0.5);
        expect(f.right).toBeLessThanOrEqual(edge);
      }
      // Every select shows its whole choice (the provider's name, the systems', the judge's), and
      // says it in its title too.
      const selects = await selectsOf(page);
      expect(selects.map((s) => s.text)).toEqual([
        'OpenRouter · judges',
        'All interviews',
        SYSTEMS[0],
        SYSTEMS[1],
        `${JUDGES[0]} · judge-v1`,
        SYSTEMS[0],
        SYSTEMS[1],
      ]);
      expect(selects.filter((s) => s.clipped).map((s) => s.text)).toEqual([]);
      expect(selects[0]!.title).toBe('OpenRouter · judges · anthropic/claude-3.5-sonnet-20241022');
      expect(selects.slice(2).every((s) => s.title === s.text)).toBe(true);
      // No card's table reaches past the card's edge.
      const overflowing = await page
        .locator('.eval-judge .card')
        .evaluateAll((cards) => cards.filter((c) => c.scrollWidth > c.clientWidth).map((c) => c.ariaLabel));
      expect(overflowing).toEqual([]);
      await themed(page, `bench-01-judge-form-${viewport.width}`, shot);
      await card.scrollIntoViewIfNeeded();
      await themed(page, `bench-02-judge-pairwise-${viewport.width}`, shot);
      await form.scrollIntoViewIfNeeded();
    }
    // Longer than its column at 1024 px, a judge's choice still reads whole on hover.
    await page.setViewportSize(VIEWPORTS[0]);
    await page.getByRole('region', { name: 'Scores' }).getByLabel('Judge').selectOption({ index: 1 });
    const judge = (await selectsOf(page))[4]!;
    expect(judge).toEqual({ text: `${JUDGES[1]} · judge-v1`, clipped: false, title: `${JUDGES[1]} · judge-v1` });
  }, 90_000);
});

/**
 * Each row of fields of a form: per field, its label's top and bottom, its control's top, bottom
 * and sides; with the form's content edges.
 */
function rowsOf(page: Page, form: string) {
  return page.locator(form).evaluate((el) => {
    const box = el.getBoundingClientRect();
    const pad = getComputedStyle(el);
    return {
      left: box.left + parseFloat(pad.paddingLeft),
      right: box.right - parseFloat(pad.paddingRight),
      rows: [...el.querySelectorAll('.eval-row')].map((row) =>
        [...row.querySelectorAll(':scope > .field')].map((field) => {
          const label = field.firstElementChild!.getBoundingClientRect();
          const at = field.querySelector('input, select')!.getBoundingClientRect();
          return {
            name: field.firstElementChild!.textContent,
            label: label.top,
            labelBottom: label.bottom,
            top: at.top,
            bottom: at.bottom,
            left: at.left,
            right: at.right,
            width: at.width,
          };
        }),
      ),
    };
  });
}

/**
 * The fields of a form's rows by the line they sit on (a narrow card wraps a row), checked: on each
 * line one line of labels above one line of controls, each control inside the form.
 */
async function linedUp(page: Page, form: string) {
  const { left, right, rows } = await rowsOf(page, form);
  // Fields whose controls share a line (a narrow card wraps a row): one line of labels above
  // one line of controls, all inside the form.
  const lines = rows.flatMap((fields) =>
    fields.reduce<(typeof fields)[]>((acc, f) => {
      const line = acc.find((l) => f.top < l[0]!.bottom && f.bottom > l[0]!.top);
      if (line) line.push(f);
      else acc.push([f]);
      return acc;
    }, []),
  );
  for (const fields of lines) {
    const [first] = fields;
    for (const f of fields) {
      const said = JSON.stringify(fields);
      expect(Math.abs(f.label - first!.label), said).toBeLessThanOrEqual(0.5);
      expect(Math.abs(f.top - first!.top), said).toBeLessThanOrEqual(0.5);
      expect(Math.abs(f.bottom - first!.bottom), said).toBeLessThanOrEqual(0.5);
      expect(f.labelBottom, said).toBeLessThanOrEqual(f.top + 0.5);
      expect(f.left, said).toBeGreaterThanOrEqual(left - 0.5);
      expect(f.right, said).toBeLessThanOrEqual(right + 0.5);
    }
  }
  return lines;
}

describe('the Interview form', () => {
  it('lines up its fields in the shared rows at 1024 and 1440 px, single- and multi-turn, in both themes', async () => {
    const { page, serve, shot } = session;
    await page.goto(serve.url);
    await openEvaluate(page, 'Interviews');
    const form = page.getByRole('form', { name: 'Start interviews' });
    await form.getByLabel('Question set').waitFor();
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      for (const mode of ['Single-turn', 'Multi-turn'] as const) {
        await form.getByRole('button', { name: mode }).click();
        const names = mode === 'Multi-turn' ? ['Interviewer', 'Rounds', 'Budget ($)'] : ['Budget ($)'];
        await expect
          .poll(async () => (await rowsOf(page, '.eval-start')).rows.map((r) => r.map((f) => f.name)))
          .toEqual([['Question set', 'Version'], names]);
        const lines = await linedUp(page, '.eval-start');
        // The set and its version side by side, at 1024 px too.
        expect(lines[0]!.map((f) => f.name)).toEqual(['Question set', 'Version']);
        // A number (rounds, a budget) takes a number's room, not a share of the row.
        for (const f of lines.flat().filter((x) => x.name === 'Rounds' || x.name === 'Budget ($)'))
          expect(f.width).toBeLessThan(140);
        // A long choice may end in an ellipsis at 1024 px; its title says it whole.
        if (mode === 'Multi-turn')
          expect(await form.getByLabel('Interviewer').getAttribute('title')).toBe(
            'OpenRouter · judges · anthropic/claude-3.5-sonnet-20241022',
          );
        await form.scrollIntoViewIfNeeded();
        await themed(
          page,
          `bench-04-interview-form-${mode === 'Multi-turn' ? 'multi' : 'single'}-${viewport.width}`,
          shot,
        );
      }
    }
    // Add system shares the rows: its sampling's three numbers line up too.
    await page.getByRole('button', { name: '+ Add system' }).click();
    const adding = page.getByRole('form', { name: 'Add a system' });
    await adding.getByText('Sampling (the paper’s unless changed)').click();
    await adding.getByLabel('Temperature').waitFor();
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      const lines = await linedUp(page, '.eval-add-system');
      expect(lines.at(-1)!.map((f) => f.name)).toEqual(['Temperature', 'Top-p', 'Max tokens']);
      await adding.scrollIntoViewIfNeeded();
      await themed(page, `bench-05-add-system-${viewport.width}`, shot);
    }
    // So does Generate questions, whose numbers' labels are longer than a number.
    await page.getByRole('button', { name: 'Question sets', exact: true }).click();
    await page.getByRole('button', { name: 'Generate…' }).click();
    const generate = page.getByRole('form', { name: 'Generate questions' });
    await generate.getByLabel('Questions per topic').waitFor();
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      const lines = await linedUp(page, '.eval-generate');
      for (const f of lines.flat()) expect(f.labelBottom - f.label, JSON.stringify(f)).toBeLessThan(24);
      // Its two numbers as wide as each other, side by side or wrapped (each had its label's width).
      const numbers = lines.flat().filter((f) => f.name?.endsWith('per topic'));
      expect(numbers).toHaveLength(2);
      expect(Math.abs(numbers[0]!.width - numbers[1]!.width), JSON.stringify(numbers)).toBeLessThanOrEqual(0.5);
      // The set beside it shows each question's topic and kind whole ("Personal information and
      // past experiences", "Multi-turn goal"), and its version with the date.
      expect(await clippedSelects(page, '.eval-set-editor')).toEqual([]);
      await generate.scrollIntoViewIfNeeded();
      await themed(page, `bench-06-generate-${viewport.width}`, shot);
    }
  }, 90_000);
});

describe('the Report', () => {
  it('fits the multi-turn table at 1024 px, the system names in view, in both themes', async () => {
    const { page, serve, shot } = session;
    await page.goto(serve.url);
    await openEvaluate(page, 'Report');
    const multi = page.getByTestId('report-table-multi').first();
    await multi.waitFor();
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      // Every column within the table's box: it scrolled sideways one column at a time at 1024.
      await expect
        .poll(() => multi.evaluate((t) => t.parentElement!.scrollWidth - t.parentElement!.clientWidth))
        .toBeLessThanOrEqual(0);
      // No heading is cut, and each system's name reads whole (it may wrap), swatch beside it.
      const clipped = await multi
        .locator('th')
        .evaluateAll((ths) => ths.filter((th) => th.scrollWidth > th.clientWidth).map((th) => th.textContent));
      expect(clipped).toEqual([]);
      const swatches = await multi
        .locator('tbody .swatch')
        .evaluateAll((all) => all.map((s) => Math.round(s.getBoundingClientRect().width)));
      expect(swatches).toEqual([10, 10]);
      await multi.scrollIntoViewIfNeeded();
      await themed(page, `bench-03-report-multi-${viewport.width}`, shot);
    }
  }, 90_000);
});
