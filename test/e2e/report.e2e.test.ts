import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  CharacterId,
  EvalReport,
  EvalSystem,
  Interview,
  JudgeDimension,
  ReportExport,
} from '../../common/contract';
import { REPORT_DIMENSIONS } from '../../main/core/eval/report-build';
import { fixture, testOutputDir } from '../support/paths';
import { scoreOf, seedJudgments, seedPairs, type SeedJudgment, type SeedPair } from '../support/report-seed';
import { openEvaluate, pageInvoke, useServePage } from '../support/serve-page';

// The Evaluate tab's Report in Chromium against `serve`: the paper's released Beethoven outputs
// imported through the dialog (a name the studio does not know matched by hand), judgments as a
// judge job leaves them, an empty system beside them; charts with error bars, the tables, the
// drill-down with thoughts apart, "what changed" between two systems; and the HTML export opened
// offline in a browser that may reach nothing: its inline SVG charts draw and its numbers are there.

const session = useServePage('cs-e2e-report-', { width: 1360, height: 900 });
const shots = path.join(testOutputDir, 'screenshots');
const shot = (name: string) => session.shot(name, { fullPage: true });

/** A gen_results-shaped folder of the fixture files; `Hermonie` (the paper's spelling) is a copy of sft. */
function outputsFolder(root: string): string {
  const files = {
    'interview_single/Beethoven_sft_result/2023.json': 'interview_single/Beethoven_sft.json',
    'interview_single/Beethoven_chatgpt_result/2023.json': 'interview_single/Beethoven_chatgpt.json',
    'interview_single/Hermonie_sft_result/2023.json': 'interview_single/Beethoven_sft.json',
    'interview_turns/multiturn_Beethoven_sft_result/2023.jsonl': 'interview_turns/multiturn_Beethoven_sft.jsonl',
  };
  for (const [to, from] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, to)), { recursive: true });
    fs.copyFileSync(fixture(from), path.join(root, to));
  }
  return root;
}

describe('the Report in a browser', () => {
  it('imports the paper’s outputs, shows scores with intervals, drills down, compares and exports', async () => {
    const { page } = session;
    await page.goto(session.serve.url);
    const api = <T>(name: string, arg: object) => pageInvoke<T>(page, name, arg);
    const beethoven = await api<{ id: CharacterId }>('characters/create', {
      fullName: 'Ludwig van Beethoven',
      shortName: 'Beethoven',
      era: '1770–1827',
      notes: '',
    });
    await api('characters/create', { fullName: 'Hermione Granger', shortName: 'Hermione', era: '', notes: '' });
    await page.reload();
    await openEvaluate(page, 'Report');
    await page.getByRole('heading', { name: 'No systems yet' }).waitFor();

    // Import through the dialog: a dry run first, the unknown name matched by hand, then the import.
    const folder = outputsFolder(path.join(session.data.dir, 'gen_results'));
    await page.getByRole('button', { name: 'Import paper outputs…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import paper outputs' });
    await dialog.getByLabel(/folder or file on the studio/).fill(folder);
    await dialog.getByRole('button', { name: 'Look at the files' }).click();
    await dialog.getByText('Beethoven · sft').waitFor();
    expect(await dialog.innerText()).toContain(
      '82 single-turn answers, 50 multi-turn interviews, 3 rounds with thoughts (3 thought only)',
    );
    await dialog.getByLabel('Character for Hermonie').selectOption({ label: 'Hermione Granger' });
    await shot('report-00-import-dialog');
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByTestId('outputs-imported').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();

    // Judgments as a judge job leaves them (sft and chatgpt; the sft run judged on everything), and an empty system.
    const systems = await api<EvalSystem[]>('eval/systems/list', { characterId: beethoven.id });
    expect(systems.map((s) => s.label).sort()).toEqual(['chatgpt (paper)', 'sft (paper)']);
    const judged: SeedJudgment[] = [];
    const singles: Record<string, Interview[]> = {};
    for (const system of systems) {
      const interviews = await api<Interview[]>('eval/interviews/list', {
        characterId: beethoven.id,
        systemId: system.id,
      });
      singles[system.label] = interviews.filter((i) => i.mode === 'single');
      interviews.forEach((interview, i) => {
        for (const dimension of REPORT_DIMENSIONS[interview.mode] as JudgeDimension[]) {
          const score = dimension === 'values' && i % 9 === 0 ? null : scoreOf(system.label, i, dimension);
          judged.push({
            interviewId: interview.id,
            dimension,
            score,
            reasoning: `Step by step: answer ${i} earns ${score}.`,
          });
        }
      });
    }
    // A second judge scored sft's first ten answers on memorization: its own means, never mixed in.
    for (const interview of singles['sft (paper)']!.slice(0, 10))
      judged.push({ interviewId: interview.id, dimension: 'memorization', score: 6, model: 'second-judge', at: 9_000 });
    // And compared sft with chatgpt answer by answer on values, both orders asked.
    const [sftId, gptId] = ['sft (paper)', 'chatgpt (paper)'].map((l) => systems.find((s) => s.label === l)!.id);
    const sides: [SeedPair['ab'], SeedPair['ba']][] = [
      ['a', 'a'],
      ['a', 'a'],
      ['a', 'a'],
      ['b', 'b'],
      ['tie', 'tie'],
      ['a', 'b'],
    ];
    const pairs: SeedPair[] = sides.map(([ab, ba], i) => ({
      systemA: sftId!,
      systemB: gptId!,
      interviewA: singles['sft (paper)']![i]!.id,
      interviewB: singles['chatgpt (paper)']![i]!.id,
      dimension: 'values',
      ab,
      ba,
    }));
    const db = new Database(path.join(session.data.dir, 'studio.sqlite'));
    try {
      seedJudgments(db, beethoven.id, judged);
      seedPairs(db, beethoven.id, pairs);
    } finally {
      db.close();
    }
    await api('eval/systems/create', {
      characterId: beethoven.id,
      kind: 'imported',
      label: 'my run (not interviewed)',
      source: 'none',
    });
    // Written behind the studio's back (no event): a fresh page reads them.
    await page.reload();
    await openEvaluate(page, 'Report');

    // Charts: bars with error bars for the judged systems, none for the empty one.
    const report = await api<EvalReport>('eval/report', { characterId: beethoven.id });
    // Each judge's scores under its name, apart: the first judge's section, then the second's.
    const sections = page.getByTestId('report-judge');
    await expect
      .poll(() => sections.locator('h3').allInnerTexts())
      .toEqual([
        'Judged by judge-model · judge-v1 · each judge’s means apart, never averaged',
        'Judged by second-judge · judge-v1 · each judge’s means apart, never averaged',
      ]);
    const first = page.getByRole('region', { name: 'Judged by judge-model · judge-v1' });
    const second = page.getByRole('region', { name: 'Judged by second-judge · judge-v1' });
    expect(
      await second
        .getByTestId('report-table-single')
        .getByRole('row', { name: /sft \(paper\)/ })
        .innerText(),
    ).toMatch(/6\.00 \[6\.00, 6\.00\]\s+n=10/);
    const single = first.getByTestId('report-chart-single');
    // Each chart draws once its own data and size are in: counts are waited for, not read once.
    await expect.poll(() => single.locator('.recharts-bar-rectangle').count()).toBe(2 * 4);
    await expect.poll(() => single.locator('.recharts-errorBar').count()).toBeGreaterThanOrEqual(2 * 4);
    await expect.poll(() => first.getByTestId('report-chart-multi').locator('.recharts-bar-rectangle').count()).toBe(5);
    expect(await single.innerText()).toContain('no scores: my run (not interviewed)');
    const table = first.getByTestId('report-table-single');
    const sftRow = table.getByRole('row', { name: /sft \(paper\)/ });
    const sft = report.systems.find((s) => s.name === 'sft (paper)')!;
    const memo = report.cells.find(
      (c) =>
        c.systemId === sft.id &&
        c.mode === 'single' &&
        c.dimension === 'memorization' &&
        c.judge === 'judge-model · judge-v1',
    )!;
    expect(await sftRow.innerText()).toContain(
      `${memo.mean!.toFixed(2)} [${memo.low!.toFixed(2)}, ${memo.high!.toFixed(2)}]`,
    );
    const emptyRow = table.getByRole('row', { name: /my run/ });
    expect((await emptyRow.innerText()).match(/no scores/g)).toHaveLength(4);
    await shot('report-01-charts');

    // Pairwise: sft against chatgpt on values, a split pair counted as a tie and said so.
    const pairwise = page.getByTestId('report-pairwise');
    expect(await pairwise.locator('caption').innerText()).toBe(
      'sft (paper) vs chatgpt (paper) · Single-turn · judged by judge-model · pairwise-v1',
    );
    expect(await pairwise.getByRole('row', { name: /values/ }).innerText()).toMatch(
      /values\s+3\s+2 \(1 inconsistent\)\s+1\s+6/,
    );
    expect(await pairwise.innerText()).toContain('when the two orders disagree the pair counts as a tie');
    await pairwise.scrollIntoViewIfNeeded();
    await shot('report-01a-pairwise');

    // At 1024×700 the tables stay inside the content (scrolling sideways in their box if they must),
    // not past the page's edge.
    await page.setViewportSize({ width: 1024, height: 700 });
    await expect
      .poll(() =>
        page.evaluate(() => {
          const edge = document.querySelector('.character-view')!.getBoundingClientRect().right;
          return [...document.querySelectorAll('.report-table-wrap')].map(
            (wrap) => wrap.getBoundingClientRect().right <= edge + 0.5,
          );
        }),
      )
      .toEqual([true, true, true, true]); // judge-model's two modes, second-judge's single-turn, the pairwise
    expect(await page.locator('.content').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    // Nothing breaks inside a number or a "no scores": an interval wraps whole under its mean (it
    // broke into "[3.93," / "4.77]"), and the judge's select is as wide as a judge's name, not the row.
    const broken = await page.evaluate(() =>
      [...document.querySelectorAll('.report-table .interval, .report-table td.empty-cell')]
        .filter((el) => {
          const range = document.createRange();
          range.selectNodeContents(el.classList.contains('interval') ? el : el.firstChild!);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
        })
        .map((el) => el.textContent),
    );
    expect(broken).toEqual([]);
    const judgeSelect = (await page.locator('.judge-filter select').boundingBox())!;
    expect(judgeSelect.width).toBeLessThan(340);
    // Every dimension is named under the narrow charts (recharts dropped "personality" from the
    // multi-turn one), and no two names overlap.
    for (const mode of ['single', 'multi'] as const) {
      const labels = first.getByTestId(`report-chart-${mode}`).getByTestId('axis-label');
      await expect.poll(() => labels.allTextContents()).toEqual(REPORT_DIMENSIONS[mode]);
      const boxes = await labels.evaluateAll((texts) =>
        texts.map((t) => {
          const r = t.getBoundingClientRect();
          return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
        }),
      );
      const overlapping = boxes.some((a, i) =>
        boxes.some((b, j) => i < j && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom),
      );
      expect(overlapping, `${mode}: ${JSON.stringify(boxes)}`).toBe(false);
    }
    // The paper's topic names show whole on their chips ("Personal information and past experiences").
    const chips = page.getByRole('group', { name: 'Topics' }).getByRole('button');
    expect(
      await chips.evaluateAll((all) => all.filter((c) => c.scrollWidth > c.clientWidth).map((c) => c.textContent)),
    ).toEqual([]);
    await shot('report-01b-tables-1024');
    await page.setViewportSize({ width: 1360, height: 900 });

    // Drill-down: sft's multi-turn interviews, a thought-only round shown apart, the judge's reasoning.
    await first
      .getByTestId('report-table-multi')
      .getByRole('row', { name: /sft \(paper\)/ })
      .getByRole('button', { name: '50', exact: true })
      .click();
    const answers = page.getByTestId('report-answers');
    await answers.getByTestId('report-answer').first().waitFor();
    expect(await answers.getByTestId('report-answer').count()).toBe(50);
    const withThought = answers
      .getByTestId('report-answer')
      .filter({ has: page.locator('.turn.thinking') })
      .first();
    await withThought.locator('summary').click();
    expect(await withThought.locator('.turn.thinking').count()).toBeGreaterThan(0);
    expect(await withThought.locator('.judgments').innerText()).toMatch(/stability\s+\d[\s\S]*Step by step/);
    await withThought.scrollIntoViewIfNeeded();
    await shot('report-02-drilldown');
    await answers.getByRole('button', { name: 'Close' }).click();

    // What changed from sft to chatgpt, single-turn: both intervals per dimension, answers side by side.
    await page.getByLabel('Compare sft (paper)').first().check();
    await page.getByLabel('Compare chatgpt (paper)').first().check();
    const compare = page.getByTestId('report-compare');
    await compare.getByTestId('change-memorization').first().waitFor();
    expect(await compare.getByTestId('report-pair').count()).toBe(82);
    // Per judge: a change is read within one judge's scores, each row naming it.
    expect(await compare.getByTestId('compare-judge').innerText()).toContain(
      'Each judge apart (judge-model · judge-v1, second-judge · judge-v1)',
    );
    expect(await compare.getByTestId('change-values').first().innerText()).toMatch(
      /judge-model · judge-v1\s+\d\.\d\d \[\d\.\d\d, \d\.\d\d\].*\d\.\d\d \[\d\.\d\d, \d\.\d\d\].*[+-]\d\.\d\d/s,
    );
    expect(await compare.getByTestId('change-memorization').nth(1).innerText()).toMatch(
      /second-judge · judge-v1\s+6\.00 \[6\.00, 6\.00\].*no scores/s,
    );
    await compare.getByTestId('report-pair').first().scrollIntoViewIfNeeded();
    await shot('report-03-compare');

    // The Judge tab names the same judges as the report, with the same mean for each.
    await page.getByRole('button', { name: 'Judge', exact: true }).click();
    const scores = page.getByRole('region', { name: 'Scores' });
    const tabJudges = scores.getByRole('combobox', { name: 'Judge' });
    await expect.poll(() => tabJudges.locator('option').allInnerTexts()).toEqual(report.judges);
    for (const judge of report.judges) {
      await tabJudges.selectOption(judge);
      const cell = report.cells.find(
        (c) => c.systemId === sft.id && c.mode === 'single' && c.dimension === 'memorization' && c.judge === judge,
      )!;
      await expect
        .poll(() => scores.getByRole('row', { name: /sft \(paper\) single-turn/ }).innerText())
        .toContain(`${cell.mean!.toFixed(2)} n=${cell.count}`);
    }
    await page.getByRole('button', { name: 'Report', exact: true }).click();

    // The HTML export, opened offline: no request leaves the page, the charts draw, the numbers are there.
    const html = await api<ReportExport>('eval/report-export', { characterId: beethoven.id, format: 'html' });
    const file = path.join(session.data.dir, 'report.html');
    fs.writeFileSync(file, html.content!);
    const offline = await session.browser.newContext({ offline: true, viewport: { width: 1200, height: 900 } });
    try {
      const requests: string[] = [];
      const view = await offline.newPage();
      view.on('request', (r) => requests.push(r.url()));
      await view.goto(`file://${file}`);
      expect(requests).toEqual([`file://${file}`]);
      expect(await view.locator('svg').count()).toBe(4);
      const judgeFigure = 'figure[data-mode="single"][data-judge="judge-model · judge-v1"]';
      expect(await view.locator(`${judgeFigure} g.bar`).count()).toBe(8);
      expect(await view.locator(`${judgeFigure} g.empty-bar`).count()).toBe(4);
      expect(await view.locator('table.pairwise').innerText()).toMatch(/values\s+3\s+2 \(1 inconsistent\)\s+1\s+6/);
      const bar = view.locator(`${judgeFigure} g.bar[data-system="${sft.id}"][data-dimension="memorization"] rect`);
      expect((await bar.boundingBox())!.height).toBeGreaterThan(10);
      const cellText = await view
        .locator(
          `table[data-mode="single"][data-judge="judge-model · judge-v1"] td[data-system="${sft.id}"][data-dimension="memorization"]`,
        )
        .innerText();
      expect(cellText).toContain(`${memo.mean!.toFixed(2)} [${memo.low!.toFixed(2)}, ${memo.high!.toFixed(2)}]`);
      await view.screenshot({ path: path.join(shots, 'report-04-html-export.png') });
    } finally {
      await offline.close();
    }
  });
});
