import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CharacterId, EvalReport } from '../../../common/contract';
import { runCliIn } from '../../support/cli';
import { seedReportPairs, SINGLE, useReportStage } from '../../support/report-stage';
import { call, callError, fakeProviderDraft, makeStudio } from '../../support/studio';
// The report's exports (JSON, CSV, HTML) and the CLI on a real studio (test/support/report-stage.ts)
// with sft and chatgpt compared pairwise: each says what `eval/report` says.

const stage = useReportStage();
const { cell } = stage;
let characterId: CharacterId;
beforeAll(() => {
  characterId = stage.characterId;
});
beforeAll(() => seedReportPairs(stage));

describe('eval/report exports and CLI', () => {
  it('exports JSON, CSV and one HTML file that say the same, empty systems as empty', async () => {
    const r = await call(stage.env.studio, 'eval/report', { characterId });
    const json = await call(stage.env.studio, 'eval/report-export', { characterId, format: 'json' });
    expect((JSON.parse(json.content!) as EvalReport).cells).toEqual(r.cells);
    const out = path.join(stage.tmp.dir, 'report.csv');
    const csv = await call(stage.env.studio, 'eval/report-export', { characterId, format: 'csv', out });
    expect(csv).toMatchObject({ path: out, content: null });
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1 + r.cells.length + r.pairwise.length);
    const row = lines.find((l) => l.startsWith('score,empty,imported,single,memorization,judge-a · judge-v1'))!;
    expect(row).toBe('score,empty,imported,single,memorization,judge-a · judge-v1,0,0,0,,,,,,,,');
    const sftValues = cell(r, 'sft', 'single', 'values');
    expect(lines).toContain(
      `score,sft,imported,single,values,judge-a · judge-v1,${sftValues.count},0,0,${Number(sftValues.mean!.toFixed(4))},${Number(sftValues.low!.toFixed(4))},${Number(sftValues.high!.toFixed(4))},,,,,`,
    );
    expect(lines).toContain('pairwise,sft,imported,single,values,judge-a · pairwise-v1,5,1,,,,,chatgpt,2,2,1,1');
    const html = await call(stage.env.studio, 'eval/report-export', { characterId, format: 'html' });
    expect(html.content).toMatch(/^<!doctype html>/);
    expect(html.content).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    // A chart per mode and judge, each saying whose scores it draws.
    expect(html.content!.match(/<svg /g)).toHaveLength(4);
    expect(html.content).toContain('<h2>Single-turn · judged by judge-b · judge-v1</h2>');
    expect(html.content).toContain('<h3>sft vs chatgpt · Single-turn · judged by judge-a · pairwise-v1</h3>');
    expect(html.content).toContain('<td>2 <small>(1 inconsistent)</small></td>');
    expect(html.content).toContain('when the two orders disagree the pair counts as a tie');
    const bad = await callError(stage.env.studio, 'eval/report-export', {
      characterId,
      format: 'csv',
      out: 'relative.csv',
    });
    expect(bad.message).toMatch(/absolute path/);
  });

  it('takes --judge as judge does (<provider>[/<model>]), the bare model when unambiguous, and says what is wrong', async () => {
    const provider = (name: string, model: string) =>
      call(stage.env.studio, 'providers/create', { ...fakeProviderDraft('http://127.0.0.1:9/v1', name), model });
    await provider('Judges', 'judge-a');
    // A provider named like a judge model, whose own model is the other judge: "judge-b" names two.
    await provider('judge-b', 'judge-a');
    await stage.env.studio.shutdown();
    const memorization = async (judge: string) => {
      const res = await runCliIn(stage.env.dir, [
        'report',
        'Beethoven',
        '--systems',
        'sft',
        '--judge',
        judge,
        '--json',
      ]);
      expect(res.code, res.err).toBe(0);
      const r = JSON.parse(res.out) as EvalReport;
      return {
        judge: r.settings.judge,
        count: cell(r, 'sft', 'single', 'memorization', r.settings.judge!).count,
      };
    };
    // The provider alone: its own model. The provider and a model: that model.
    expect(await memorization('judges')).toEqual({ judge: 'judge-a', count: SINGLE });
    expect(await memorization('Judges/judge-b')).toEqual({ judge: 'judge-b', count: 6 });
    // The old form, a bare model that judged: still read while it names one judge.
    expect(await memorization('judge-a')).toEqual({ judge: 'judge-a', count: SINGLE });
    const twice = await runCliIn(stage.env.dir, ['report', 'Beethoven', '--judge', 'judge-b']);
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(
      /--judge "judge-b" names two judges: the model "judge-b", and provider "judge-b" with model "judge-a"\. Write <provider>\/<model>/,
    );
    const none = await runCliIn(stage.env.dir, ['report', 'Beethoven', '--judge', 'Judges/gpt-9']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(
      /Judges's model "gpt-9" has judged no answer of this character\. Judges: "judge-a", "judge-b"/,
    );
    const unknown = await runCliIn(stage.env.dir, ['report', 'Beethoven', '--judge', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('--judge "nobody": name the judge as <provider>[/<model>] (providers: ');
    expect(unknown.err).toContain('or a model that judged. Judges: "judge-a", "judge-b".');
    stage.env = { ...stage.env, studio: makeStudio(stage.env.dir).studio };
  });

  it('prints the report and writes its files from the CLI', async () => {
    const csv = path.join(stage.tmp.dir, 'cli.csv');
    const html = path.join(stage.tmp.dir, 'cli.html');
    await stage.env.studio.shutdown();
    const res = await runCliIn(stage.env.dir, [
      'report',
      'Beethoven',
      '--systems',
      'sft,empty',
      '--csv',
      csv,
      '--html',
      html,
    ]);
    expect(res.code, res.err).toBe(0);
    expect(res.out).toMatch(/Single-turn, judged by judge-a · judge-v1 \(mean \[95% interval\] n\)/);
    expect(res.out).toMatch(
      /Single-turn, judged by judge-b · judge-v1 \(mean \[95% interval\] n\)\n.*\n^sft\s+24\s+7\.00 \[7\.00, 7\.00\] n=6/m,
    );
    expect(res.out).toMatch(/^empty\s+0\s+no scores\s+no scores/m);
    // sft against empty: no comparison, so no pairwise section; both systems have it below.
    expect(res.out).toMatch(/^sft\s+24\s+\d\.\d\d \[\d\.\d\d, \d\.\d\d\] n=24/m);
    expect(fs.readFileSync(csv, 'utf8').split('\n')[0]).toBe(
      'row,system,kind,mode,dimension,judge,count,unscored,unjudged,mean,ci_low,ci_high,versus,a_wins,ties,b_wins,inconsistent',
    );
    expect(fs.readFileSync(html, 'utf8')).toContain('no scores');
    expect(res.out).not.toContain('Pairwise');
    const both = await runCliIn(stage.env.dir, [
      'report',
      'Beethoven',
      '--systems',
      'sft,chatgpt',
      '--judge',
      'judge-a',
    ]);
    expect(both.out).toContain('Pairwise (A system wins a pair only when the judge prefers it in both orders');
    expect(both.out).toContain('sft vs chatgpt, Single-turn, judged by judge-a · pairwise-v1');
    expect(both.out).toMatch(/^dimension\s+sft wins\s+ties\s+chatgpt wins\s+pairs$/m);
    expect(both.out).toMatch(/^values\s+2\s+2 \(1 inconsistent\)\s+1\s+5 \+ 1 unscored$/m);
    const json = await runCliIn(stage.env.dir, ['report', 'Beethoven', '--mode', 'multi', '--json']);
    expect((JSON.parse(json.out) as EvalReport).settings.modes).toEqual(['multi']);
    const compared = await runCliIn(stage.env.dir, ['report', 'Beethoven', '--compare', 'sft,chatgpt']);
    expect(compared.code, compared.err).toBe(0);
    expect(compared.out).toMatch(/What changed from sft to chatgpt \(Single-turn, each judge apart/);
    expect(compared.out).toMatch(
      /^values\s+judge-a · judge-v1\s+\d\.\d\d \[[\d., ]+\]\s+\d\.\d\d \[[\d., ]+\]\s+[+-]\d\.\d\d$/m,
    );
    expect(compared.out).toMatch(/^memorization\s+judge-b · judge-v1\s+7\.00 \[7\.00, 7\.00\]\s+no scores\s+—$/m);
    expect(compared.out).toMatch(
      /Questions whose scores moved most:\n {2}\d\.\d → \d\.\d \(judge-a · judge-v1\) {2}\S/,
    );
    const unknown = await runCliIn(stage.env.dir, ['report', 'Beethoven', '--systems', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/No system "nobody".*"sft", "chatgpt", "unjudged", "empty"/);
    stage.env = { ...stage.env, studio: makeStudio(stage.env.dir).studio };
  });
});
