/**
 * A report as one self-contained HTML file: the charts are inline SVG drawn here (no script, no
 * network, no font or stylesheet from elsewhere), so the file opens the same offline, in a mail
 * attachment or years later. The CSV is one row per system × mode × dimension.
 */
import type { EvalReport, ReportAnswer, ReportCell, ReportMode } from '../../../common/contract';
import { PAIRWISE_RULE } from '../../../common/pairwise-rule';

/** Series colours in the order systems are listed (the studio's chart palette, light scheme). */
const PALETTE = ['#3b6fd8', '#d9822b', '#2a9d6f', '#b5489b', '#7a6bd1', '#c44e52', '#5b8c3a', '#8a6d3b'];
export const SCALE = { min: 1, max: 7 } as const;

const MODE_TITLE: Record<ReportMode, string> = { single: 'Single-turn', multi: 'Multi-turn' };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const fixed = (n: number | null, digits = 2) => (n === null ? '' : n.toFixed(digits));

/** A cell as text: `5.12 [4.90, 5.31]`, or `no scores` for an empty one. */
export function cellText(cell: ReportCell | undefined): string {
  if (!cell || cell.mean === null) return 'no scores';
  return `${fixed(cell.mean)} [${fixed(cell.low)}, ${fixed(cell.high)}]`;
}

function cellOf(
  report: EvalReport,
  systemId: string,
  mode: ReportMode,
  dimension: string,
  judge: string | null,
): ReportCell | undefined {
  return report.cells.find(
    (c) => c.systemId === systemId && c.mode === mode && c.dimension === dimension && c.judge === judge,
  );
}

/** The judges the report's cells are by, in its order (one null while nothing is judged). */
export const cellJudges = (report: EvalReport) => [...new Set(report.cells.map((c) => c.judge))];
const judgedBy = (judge: string | null) => (judge ? `judged by ${judge}` : 'not judged yet');

/**
 * Grouped bars with error bars: one group per dimension, one bar per system, the y axis the
 * judge's 1–7 scale. An empty cell draws no bar but a dashed outline marked "no scores".
 */
export function barChartSvg(report: EvalReport, mode: ReportMode, judge: string | null = null): string {
  const dimensions = report.dimensions[mode];
  const systems = report.systems;
  const bar = 18;
  const gap = 24;
  const groupWidth = Math.max(1, systems.length) * bar + gap;
  const left = 36;
  const top = 12;
  const plotHeight = 200;
  const width = left + dimensions.length * groupWidth + 8;
  const height = top + plotHeight + 40;
  const y = (v: number) => top + plotHeight - ((v - SCALE.min) / (SCALE.max - SCALE.min)) * plotHeight;
  const parts: string[] = [];
  for (let v = SCALE.min; v <= SCALE.max; v++) {
    parts.push(
      `<line x1="${left}" x2="${width - 8}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end" fill="#666">${v}</text>`,
    );
  }
  dimensions.forEach((dimension, d) => {
    const x0 = left + d * groupWidth + gap / 2;
    parts.push(
      `<text x="${x0 + (groupWidth - gap) / 2}" y="${top + plotHeight + 18}" font-size="12" text-anchor="middle" fill="#333">${escape(dimension)}</text>`,
    );
    systems.forEach((system, s) => {
      const cell = cellOf(report, system.id, mode, dimension, judge);
      const x = x0 + s * bar;
      const color = PALETTE[s % PALETTE.length]!;
      const label = `${system.name} · ${dimension}: ${cellText(cell)}${cell ? ` (n=${cell.count})` : ''}`;
      if (!cell || cell.mean === null) {
        // No bar (an empty system is never drawn as 0): its label stands on the baseline instead.
        parts.push(
          `<g class="empty-bar" data-system="${escape(system.id)}" data-dimension="${escape(dimension)}"><title>${escape(label)}</title>` +
            `<line x1="${x + 3}" x2="${x + bar - 3}" y1="${y(SCALE.min)}" y2="${y(SCALE.min)}" stroke="${color}" stroke-width="2" stroke-dasharray="2 2"/>` +
            `<text x="${x + bar / 2 + 3}" y="${y(SCALE.min) - 4}" font-size="9" fill="#888" transform="rotate(-90 ${x + bar / 2 + 3} ${y(SCALE.min) - 4})">no scores</text></g>`,
        );
        return;
      }
      // A mean of 1, the scale's floor, still draws a sliver: a bar of no height read as "no scores".
      const top = Math.min(y(cell.mean), y(SCALE.min) - 3);
      parts.push(
        `<g class="bar" data-system="${escape(system.id)}" data-dimension="${escape(dimension)}" data-mean="${fixed(cell.mean)}"><title>${escape(label)}</title>` +
          `<rect x="${x + 1}" y="${top}" width="${bar - 2}" height="${y(SCALE.min) - top}" fill="${color}"/>` +
          `<line x1="${x + bar / 2}" x2="${x + bar / 2}" y1="${y(cell.high!)}" y2="${y(cell.low!)}" stroke="#222"/>` +
          `<line x1="${x + 4}" x2="${x + bar - 4}" y1="${y(cell.high!)}" y2="${y(cell.high!)}" stroke="#222"/>` +
          `<line x1="${x + 4}" x2="${x + bar - 4}" y1="${y(cell.low!)}" y2="${y(cell.low!)}" stroke="#222"/></g>`,
      );
    });
  });
  const legend = systems
    .map(
      (s, i) =>
        `<span class="key"><span class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></span>${escape(s.name)}</span>`,
    )
    .join(' ');
  return (
    `<figure class="chart" data-mode="${mode}" data-judge="${escape(judge ?? '')}"><figcaption>${MODE_TITLE[mode]}, ${escape(judgedBy(judge))}: mean score with 95% interval</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${MODE_TITLE[mode]} scores" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>` +
    `<div class="legend">${legend}</div></figure>`
  );
}

function summaryTable(report: EvalReport, mode: ReportMode, judge: string | null): string {
  const dimensions = report.dimensions[mode];
  const head = `<tr><th>System</th><th>${mode === 'single' ? 'Answers' : 'Interviews'}</th>${dimensions.map((d) => `<th>${escape(d)}</th>`).join('')}</tr>`;
  const rows = report.systems.map((s) => {
    const cells = dimensions.map((d) => {
      const cell = cellOf(report, s.id, mode, d, judge);
      const notes = [
        ...(cell?.count ? [`n=${cell.count}`] : []),
        ...(cell?.unscored ? [`${cell.unscored} unscored`] : []),
      ];
      const extra = notes.length ? ` <small>${notes.join(', ')}</small>` : '';
      const cls = !cell || cell.mean === null ? ' class="empty"' : '';
      return `<td${cls} data-system="${escape(s.id)}" data-dimension="${escape(d)}">${cellText(cell)}${extra}</td>`;
    });
    return `<tr><th scope="row">${escape(s.name)} <small>${escape(s.kind)}</small></th><td>${s.answers[mode]}</td>${cells.join('')}</tr>`;
  });
  return `<table class="summary" data-mode="${mode}" data-judge="${escape(judge ?? '')}">${head}${rows.join('')}</table>`;
}

/** Per pair of systems, mode and judge: A wins, ties (inconsistent pairs among them) and B wins per dimension. */
function pairwiseSection(report: EvalReport): string {
  if (report.pairwise.length === 0) return '';
  const name = (id: string) => report.systems.find((s) => s.id === id)?.name ?? id;
  const groups = new Map<string, EvalReport['pairwise']>();
  for (const p of report.pairwise) {
    const key = [p.systemA, p.systemB, p.mode, p.judge].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const tables = [...groups.values()].map((rows) => {
    const { systemA, systemB, mode, judge } = rows[0]!;
    const [a, b] = [escape(name(systemA)), escape(name(systemB))];
    const body = rows
      .map(
        (p) =>
          `<tr data-dimension="${escape(p.dimension)}"><th scope="row">${escape(p.dimension)}</th><td>${p.aWins}</td><td>${p.ties}${p.inconsistent ? ` <small>(${p.inconsistent} inconsistent)</small>` : ''}</td><td>${p.bWins}</td><td>${p.pairs}${p.unscored ? ` <small>+ ${p.unscored} unscored</small>` : ''}</td></tr>`,
      )
      .join('');
    return (
      `<h3>${a} vs ${b} · ${MODE_TITLE[mode]} · ${escape(judgedBy(judge))}</h3>` +
      `<table class="pairwise" data-mode="${mode}"><tr><th>Dimension</th><th>${a} wins</th><th>Ties</th><th>${b} wins</th><th>Pairs</th></tr>${body}</table>`
    );
  });
  return `<h2>Pairwise</h2><p>${escape(PAIRWISE_RULE)}</p>${tables.join('')}`;
}

function answersSection(report: EvalReport, answers: Map<string, ReportAnswer[]>): string {
  const blocks = report.systems.map((s) => {
    const list = answers.get(s.id) ?? [];
    if (list.length === 0) return '';
    const items = list.map((a) => {
      const turns = a.turns
        .map(
          (t) =>
            `<p class="turn ${t.by} ${t.action}"><b>${t.by === 'interviewer' ? 'Interviewer' : 'Character'}${t.action === 'thinking' ? ' (thinking)' : ''}:</b> ${escape(t.content)}</p>`,
        )
        .join('');
      const judged = a.judgments
        .map(
          (j) =>
            `<li><b>${escape(j.dimension)}</b> ${j.score === null ? 'unscored' : j.score} <small>${escape(j.judgeModel)}</small><pre>${escape(j.reasoning)}</pre></li>`,
        )
        .join('');
      return `<details><summary>[${escape(a.mode)}] ${escape(a.topicId)} · ${escape(a.question)}${a.nonstop ? ' <em>cut at the token limit</em>' : ''}</summary>${turns}<ul>${judged}</ul></details>`;
    });
    return `<section><h3>${escape(s.name)}</h3>${items.join('')}</section>`;
  });
  const body = blocks.join('');
  return body ? `<h2>Answers and judgments</h2>${body}` : '';
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;margin:8px 0 16px}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}td.empty{color:#888;font-style:italic}
small{color:#777}.charts{display:flex;flex-wrap:wrap;gap:24px}.chart figcaption{font-weight:600;margin-bottom:4px}
.legend{display:flex;gap:12px;flex-wrap:wrap;font-size:12px}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
details{border-bottom:1px solid #eee;padding:4px 0}.turn.thinking{color:#666;font-style:italic}pre{white-space:pre-wrap;font:12px/1.4 ui-monospace,monospace;background:#f6f6f6;padding:6px}`;

/** The whole report as one HTML document; `answers` (per system id) adds the drill-down. */
export function reportHtml(report: EvalReport, answers = new Map<string, ReportAnswer[]>()): string {
  const modes = report.settings.modes;
  const filters = [
    report.settings.topics ? `topics ${report.settings.topics.join(', ')}` : 'all topics',
    report.settings.judge ? `judge ${report.settings.judge}` : `judges ${report.judges.join(', ') || 'none yet'}`,
    `${report.settings.resamples} bootstrap resamples, seed ${report.settings.seed}`,
  ];
  // Each judge apart: two judges' scores are never averaged together.
  const sections = cellJudges(report).flatMap((judge) =>
    modes.map(
      (m) =>
        `<h2>${MODE_TITLE[m]} · ${escape(judgedBy(judge))}</h2><div class="charts">${barChartSvg(report, m, judge)}</div>${summaryTable(report, m, judge)}`,
    ),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escape(report.characterName)}: evaluation report</title><style>${STYLE}</style></head><body>
<h1>${escape(report.characterName)}: evaluation report</h1>
<p>Built ${new Date(report.generatedAt).toISOString()} · ${escape(filters.join(' · '))}. Scores are the judge's 1–7 scale; intervals are 95% percentile bootstrap intervals of the mean; unscored judgments are left out and counted.</p>
${sections.join('\n')}
${pairwiseSection(report)}
${answersSection(report, answers)}
</body></html>`;
}

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One row per system × mode × dimension × judge (`row` = `score`); empty cells have blank mean and
 * bounds, never 0. Then one row per pairwise comparison (`row` = `pairwise`): `system` is A and
 * `versus` B, `count` the pairs with a result, and the wins, ties and inconsistent ones among the ties.
 */
export function reportCsv(report: EvalReport): string {
  const names = new Map(report.systems.map((s) => [s.id, s] as const));
  const header = [
    'row',
    'system',
    'kind',
    'mode',
    'dimension',
    'judge',
    'count',
    'unscored',
    'unjudged',
    'mean',
    'ci_low',
    'ci_high',
    'versus',
    'a_wins',
    'ties',
    'b_wins',
    'inconsistent',
  ];
  const pairRows = report.pairwise.map((p) =>
    [
      'pairwise',
      names.get(p.systemA)?.name ?? p.systemA,
      names.get(p.systemA)?.kind ?? '',
      p.mode,
      p.dimension,
      p.judge,
      p.pairs,
      p.unscored,
      null,
      null,
      null,
      null,
      names.get(p.systemB)?.name ?? p.systemB,
      p.aWins,
      p.ties,
      p.bWins,
      p.inconsistent,
    ]
      .map(csvField)
      .join(','),
  );
  const rows = report.cells.map((c) =>
    [
      'score',
      names.get(c.systemId)?.name ?? c.systemId,
      names.get(c.systemId)?.kind ?? '',
      c.mode,
      c.dimension,
      c.judge,
      c.count,
      c.unscored,
      c.unjudged,
      c.mean === null ? null : Number(c.mean.toFixed(4)),
      c.low === null ? null : Number(c.low.toFixed(4)),
      c.high === null ? null : Number(c.high.toFixed(4)),
      null,
      null,
      null,
      null,
      null,
    ]
      .map(csvField)
      .join(','),
  );
  return [header.join(','), ...rows, ...pairRows].join('\n') + '\n';
}
