import type { EvalReport, ReportPairwise } from '../../../../common/contract';
import { PAIRWISE_RULE } from '../../../../common/pairwise-rule';
import { colorOf, MODE_TITLE } from './ReportChart';

/** The report's comparisons grouped: one table per pair of systems, mode and judge, in the report's order. */
function groupsOf(report: EvalReport): ReportPairwise[][] {
  const groups = new Map<string, ReportPairwise[]>();
  for (const p of report.pairwise) {
    const key = [p.systemA, p.systemB, p.mode, p.judge].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()];
}

const share = (n: number, of: number) => (of === 0 ? 0 : (100 * n) / of);

/** A / tie / B as one bar of three segments in the systems' own colours, so a row reads at a glance. */
function OutcomeBar({ p, colors }: { p: ReportPairwise; colors: [string, string] }) {
  return (
    <span className="pairwise-bar" aria-hidden="true">
      <span style={{ width: `${share(p.aWins, p.pairs)}%`, background: colors[0] }} />
      <span className="tie" style={{ width: `${share(p.ties, p.pairs)}%` }} />
      <span style={{ width: `${share(p.bWins, p.pairs)}%`, background: colors[1] }} />
    </span>
  );
}

/**
 * Pairwise comparisons among the report's systems: per dimension, how many pairs A won, tied and B
 * won (counted by PAIRWISE_RULE, said under the tables), and how many pairs there are. Nothing when
 * no two of the systems were compared.
 */
export function PairwiseSection({ report }: { report: EvalReport }) {
  if (report.pairwise.length === 0) return null;
  const name = (id: string) => report.systems.find((s) => s.id === id)?.name ?? id;
  const color = (id: string) => colorOf(report.systems.findIndex((s) => s.id === id));
  return (
    <section className="report-pairwise" aria-label="Pairwise" data-testid="report-pairwise">
      <h3 className="report-judge-head">Pairwise</h3>
      {groupsOf(report).map((rows) => {
        const { systemA, systemB, mode, judge } = rows[0]!;
        const [a, b] = [name(systemA), name(systemB)];
        return (
          <div key={`${systemA}-${systemB}-${mode}-${judge}`} className="report-table-wrap">
            <table className="report-table pairwise-table" data-testid={`pairwise-${mode}`}>
              <caption>
                {a} vs {b} · {MODE_TITLE[mode]} · judged by {judge}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Dimension</th>
                  <th scope="col">
                    <span className="swatch" style={{ background: color(systemA) }} aria-hidden="true" /> {a} wins
                  </th>
                  <th scope="col">Ties</th>
                  <th scope="col">
                    <span className="swatch" style={{ background: color(systemB) }} aria-hidden="true" /> {b} wins
                  </th>
                  <th scope="col">Pairs</th>
                  <th scope="col" className="pairwise-bar-head">
                    <span className="visually-hidden">Share</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((p) => (
                  <tr key={p.dimension} data-dimension={p.dimension}>
                    <th scope="row">{p.dimension}</th>
                    <td>{p.aWins}</td>
                    <td>
                      {p.ties}
                      {p.inconsistent > 0 && (
                        <small className="muted" title="Pairs whose two orders disagreed, counted as ties">
                          {' '}
                          ({p.inconsistent} inconsistent)
                        </small>
                      )}
                    </td>
                    <td>{p.bWins}</td>
                    <td>
                      {p.pairs}
                      {p.unscored > 0 && <small className="muted"> + {p.unscored} unscored</small>}
                    </td>
                    <td>
                      <OutcomeBar p={p} colors={[color(systemA), color(systemB)]} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      })}
      <p className="muted report-note">
        Each pair is asked twice, once with each system’s answer first. {PAIRWISE_RULE} Unscored: an order the judge
        never answered readably, left out of the pairs.
      </p>
    </section>
  );
}
