import { useState } from 'react';
import type { Character, EvalReport, ReportExportFormat, ReportMode, ReportSystem } from '../../../../common/contract';
import { messageOf } from '../../lib/bridge-error';
import { invoke } from '../../lib/queries';
import { useEvalReport } from '../../lib/report-queries';
import { useUi } from '../../state/ui';
import { AnswersPanel, ComparePanel, type ReportScope } from './ReportAnswers';
import { cellText, colorOf, findCell, judgesOf, MODE_TITLE, ReportChart } from './ReportChart';
import { ImportOutputsDialog } from './ImportOutputsDialog';
import { PairwiseSection } from './ReportPairwise';
import '../../charts.css';
import '../../eval-report.css';

const MODES: ReportMode[] = ['single', 'multi'];
const MIME: Record<ReportExportFormat, string> = {
  json: 'application/json',
  csv: 'text/csv',
  html: 'text/html',
};

/** Saves text as a file through the browser's download (both doors: Electron shows its save dialog). */
function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The Evaluate tab's Report: per system and dimension the mean score, its 95% bootstrap interval and
 * the count, single- and multi-turn apart, as charts side by side and a table; filters by topic
 * and judge; a click on a cell opens that system's answers; two systems picked open "what changed"
 * with their answers side by side. Export as JSON, CSV or one self-contained HTML file.
 */
export function ReportView({ character }: { character: Character }) {
  const toast = useUi((s) => s.toast);
  const [topics, setTopics] = useState<string[]>([]);
  const [judge, setJudge] = useState<string | null>(null);
  const [drill, setDrill] = useState<{ system: ReportSystem; mode: ReportMode } | null>(null);
  const [picked, setPicked] = useState<string[]>([]);
  const [compareMode, setCompareMode] = useState<ReportMode>('single');
  const [importing, setImporting] = useState(false);
  const arg = {
    characterId: character.id,
    ...(topics.length && { topics }),
    ...(judge && { judge }),
  };
  const report = useEvalReport(arg);
  const scope: ReportScope = { characterId: character.id, topics, judge };
  const r = report.data;

  const exportAs = (format: ReportExportFormat) => {
    invoke('eval/report-export', { ...arg, format })
      .then((out) => download(`${character.shortName || 'report'}-report.${format}`, MIME[format], out.content ?? ''))
      .catch((e: unknown) => toast({ kind: 'error', text: messageOf(e) }));
  };
  const toggle = (id: string) =>
    setPicked((list) => (list.includes(id) ? list.filter((x) => x !== id) : [...list.slice(-1), id]));
  const pickedSystems = picked.map((id) => r?.systems.find((s) => s.id === id)).filter((s): s is ReportSystem => !!s);

  return (
    <div className="report-view" aria-label="Report" data-testid="report-view">
      <div className="report-toolbar">
        {/* Only when there is a topic to pick: "All" alone filters nothing. */}
        {r && r.topics.length > 0 && (
          <div className="topic-filter" role="group" aria-label="Topics">
            <span className="muted">Topics</span>
            <button className={topics.length === 0 ? 'chip selected' : 'chip'} onClick={() => setTopics([])}>
              All
            </button>
            {r.topics.map((t) => (
              <button
                key={t.id}
                className={topics.includes(t.id) ? 'chip selected' : 'chip'}
                title={t.label === t.id ? t.id : `${t.label} (${t.id})`}
                aria-pressed={topics.includes(t.id)}
                onClick={() => setTopics(topics.includes(t.id) ? topics.filter((x) => x !== t.id) : [...topics, t.id])}
              >
                {/* The topic's name ("Values and preferences"), not its id: "topic-3" told a user nothing. */}
                {t.label || t.id}
              </button>
            ))}
          </div>
        )}
        {r && r.judges.length > 1 && (
          <label className="judge-filter">
            Judge{' '}
            <select value={judge ?? ''} onChange={(e) => setJudge(e.target.value || null)}>
              <option value="">each judge apart</option>
              {r.judges.map((j) => (
                <option key={j}>{j}</option>
              ))}
            </select>
          </label>
        )}
        <span className="spacer" />
        <button onClick={() => setImporting(true)}>Import paper outputs…</button>
        <span className="export-group" role="group" aria-label="Export">
          {(['html', 'csv', 'json'] as ReportExportFormat[]).map((f) => (
            <button key={f} className="small" disabled={!r || r.systems.length === 0} onClick={() => exportAs(f)}>
              {f.toUpperCase()}
            </button>
          ))}
        </span>
      </div>
      {report.error && <p className="form-error">{report.error.message}</p>}
      {!r && !report.error && <p className="muted">Building the report…</p>}
      {r && r.systems.length === 0 && (
        <div className="empty small">
          <h3>No systems yet</h3>
          <p>
            Interview a trained run or a baseline, or import the paper&apos;s released outputs to place its four systems
            here.
          </p>
        </div>
      )}
      {r && r.systems.length > 0 && (
        <>
          {/* Each judge's means apart, under its name: two judges' scores are never averaged together. */}
          {judgesOf(r).map((judge, _, judges) => (
            <section
              key={judge ?? ''}
              className="report-judge"
              aria-label={judge ? `Judged by ${judge}` : 'Not judged yet'}
              data-testid="report-judge"
            >
              <h3 className="report-judge-head">
                {judge ? (
                  <>
                    Judged by <strong>{judge}</strong>
                  </>
                ) : (
                  'Not judged yet'
                )}
                {judges.length > 1 && <span className="muted"> · each judge’s means apart, never averaged</span>}
              </h3>
              <div className="report-charts">
                {modesOf(r, judge, judges.length).map((m) => (
                  <ReportChart key={m} report={r} mode={m} judge={judge} />
                ))}
              </div>
              {modesOf(r, judge, judges.length).map((m) => (
                <SummaryTable
                  key={m}
                  report={r}
                  mode={m}
                  judge={judge}
                  several={judges.length > 1}
                  picked={picked}
                  onPick={toggle}
                  onOpen={(system) => setDrill({ system, mode: m })}
                />
              ))}
            </section>
          ))}
          <p className="muted report-note">
            {r.settings.resamples.toLocaleString('en-US')} bootstrap resamples (seed {r.settings.seed}); unscored
            judgments are left out of the means and counted. Tick two systems to see what changed between them.
          </p>
          <PairwiseSection report={r} />
          {pickedSystems.length === 2 && (
            <div className="compare-bar">
              <span>
                Compare <strong>{pickedSystems[0]!.name}</strong> → <strong>{pickedSystems[1]!.name}</strong>
              </span>
              <select
                aria-label="Compare mode"
                value={compareMode}
                onChange={(e) => setCompareMode(e.target.value as ReportMode)}
              >
                {MODES.map((m) => (
                  <option key={m} value={m}>
                    {MODE_TITLE[m]}
                  </option>
                ))}
              </select>
            </div>
          )}
          {pickedSystems.length === 2 && (
            <ComparePanel
              scope={scope}
              a={pickedSystems[0]!}
              b={pickedSystems[1]!}
              mode={compareMode}
              onClose={() => setPicked([])}
            />
          )}
          {drill && (
            <AnswersPanel scope={scope} system={drill.system} mode={drill.mode} onClose={() => setDrill(null)} />
          )}
        </>
      )}
      {importing && <ImportOutputsDialog onClose={() => setImporting(false)} />}
    </div>
  );
}

/**
 * The modes shown for a judge: both, except that beside other judges a judge's mode it scored
 * nothing in is left out (a table of "no scores" only said it did not judge there).
 */
function modesOf(report: EvalReport, judge: string | null, judges: number): ReportMode[] {
  if (judges < 2) return MODES;
  const scored = MODES.filter((m) =>
    report.cells.some((c) => c.judge === judge && c.mode === m && c.count + c.unscored > 0),
  );
  return scored.length > 0 ? scored : MODES;
}

function SummaryTable({
  report,
  mode,
  judge,
  several,
  picked,
  onPick,
  onOpen,
}: {
  report: EvalReport;
  mode: ReportMode;
  judge: string | null;
  /** Other judges' tables are on the page too: the controls name this one's judge. */
  several: boolean;
  picked: string[];
  onPick: (id: string) => void;
  onOpen: (system: ReportSystem) => void;
}) {
  const dimensions = report.dimensions[mode];
  return (
    // In a box that scrolls sideways: five dimensions and long system names are wider than the
    // content at 1024 px, and the table pushed past the page's edge.
    <div className="report-table-wrap">
      <table className="report-table" data-testid={`report-table-${mode}`} data-judge={judge ?? ''}>
        <caption>{MODE_TITLE[mode]}</caption>
        <thead>
          <tr>
            <th scope="col">System</th>
            <th scope="col">{mode === 'single' ? 'Answers' : 'Interviews'}</th>
            {dimensions.map((d) => (
              <th key={d} scope="col">
                {d}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {report.systems.map((s, i) => (
            <tr key={s.id}>
              <th scope="row">
                <label className="system-pick">
                  <input
                    type="checkbox"
                    checked={picked.includes(s.id)}
                    onChange={() => onPick(s.id)}
                    aria-label={several ? `Compare ${s.name} (judged by ${judge})` : `Compare ${s.name}`}
                  />
                  <span className="swatch" style={{ background: colorOf(i) }} aria-hidden="true" />
                  {s.name}
                </label>
                <small className="muted system-kind">{s.kind}</small>
              </th>
              <td>
                {s.answers[mode] > 0 ? (
                  <button className="link" onClick={() => onOpen(s)}>
                    {s.answers[mode]}
                  </button>
                ) : (
                  <span className="muted">none</span>
                )}
              </td>
              {dimensions.map((d) => {
                const cell = findCell(report, s.id, mode, d, judge);
                const text = cellText(cell);
                return text && cell ? (
                  <td key={d} data-dimension={d}>
                    {/* The interval never breaks inside: a narrow column wraps it whole under the mean. */}
                    <button className="link cell" onClick={() => onOpen(s)} title="Open the answers">
                      {cell.mean!.toFixed(2)}{' '}
                      <span className="interval">
                        [{cell.low!.toFixed(2)}, {cell.high!.toFixed(2)}]
                      </span>
                    </button>{' '}
                    <small className="muted">
                      n={cell.count}
                      {cell.unscored > 0 && `, ${cell.unscored} unscored`}
                    </small>
                  </td>
                ) : (
                  <td key={d} data-dimension={d} className="empty-cell">
                    no scores
                    {cell && cell.unscored > 0 && <small> ({cell.unscored} unscored)</small>}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
