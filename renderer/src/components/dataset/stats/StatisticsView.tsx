import type { Character, CharacterFigures, PaperFigures, PaperRange } from '../../../../../common/contract';
import { useDatasetCharts, useDatasetCompare, useDatasetStats } from '../../../lib/queries';
import { formatCount, percent } from '../../charts/chart-kit';
import { CoverageChart, ProblemsChart, StageChart } from './CoverageCharts';
import { HistogramChart, KindsChart, SpeakersChart } from './DistributionCharts';
import '../../../charts.css';
import '../../../dataset.css';

/**
 * The Dataset tab's Statistics view: the character's dataset measured (stages, coverage of the
 * life, lengths, speakers, kinds of turns, problems) and every character side by side with the
 * paper. Every figure comes from counts the store keeps on write (`dataset/charts`, `dataset/compare`).
 */
export function StatisticsView({ character }: { character: Character }) {
  const charts = useDatasetCharts(character.id);
  const stats = useDatasetStats(character.id);
  const compare = useDatasetCompare();
  const error = charts.error ?? stats.error ?? compare.error;
  if (error) return <p className="form-error">{error.message}</p>;
  if (!charts.data || !stats.data) return <p className="muted">Measuring the dataset…</p>;
  const c = charts.data;
  return (
    <div className="statistics" aria-label="Statistics" data-testid="statistics">
      <div className="chart-grid">
        <StageChart charts={c} />
        <KindsChart charts={c} />
        <CoverageChart charts={c} />
        <HistogramChart title="Turns per scene" histogram={c.turnsPerScene} of="scenes" testId="chart-turns" />
        <HistogramChart title="Words per turn" histogram={c.wordsPerTurn} of="turns" testId="chart-words" />
        <HistogramChart
          title="Tokens per example"
          histogram={c.tokensPerExample}
          of="examples"
          testId="chart-tokens"
          note="Estimated at 4 characters a token; the base model's tokenizer decides the exact count."
        />
        <SpeakersChart charts={c} />
        <ProblemsChart stats={stats.data} />
      </div>
      {compare.data && <CompareTable rows={compare.data.characters} paper={compare.data.paper} current={character} />}
    </div>
  );
}

const range = (r: PaperRange, format: (n: number) => string) =>
  r.low === r.high ? format(r.low) : `${format(r.low)}–${format(r.high)}`;
/** 1.5K, 13.7K, 1,038K: the paper's way of writing its figures. */
const thousands = (n: number) => (n >= 1_000 ? `${formatCount(n / 1000, n % 1000 === 0 ? 0 : 1)}K` : formatCount(n));

/**
 * The paper's per-character table (scenes, words, turns per scene) for every character, the paper's
 * row last. Words per scene is in each average's tooltip: one column fewer fits a 1024-pixel window.
 */
function CompareTable({
  rows,
  paper,
  current,
}: {
  rows: readonly CharacterFigures[];
  paper: PaperFigures;
  current: Character;
}) {
  return (
    <section className="compare" aria-labelledby="compare-title">
      <h3 id="compare-title">Every character</h3>
      <div className="compare-scroll">
        <table className="compare-table">
          <thead>
            <tr>
              <th scope="col">Character</th>
              <th scope="col">Chunks</th>
              <th scope="col">Profile words</th>
              <th scope="col">Scenes</th>
              <th scope="col">Protective</th>
              <th scope="col">Experiences</th>
              <th scope="col">Words</th>
              <th scope="col" title="Average turns per scene with an experience">
                Turns / scene
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.characterId} className={r.characterId === current.id ? 'current' : undefined}>
                <th scope="row">{r.fullName}</th>
                <td>{formatCount(r.chunks)}</td>
                <td>{formatCount(r.profileWords)}</td>
                <td>{formatCount(r.scenes)}</td>
                <td>
                  {formatCount(r.protectiveScenes)}
                  {r.scenes > 0 && <span className="muted"> ({percent(r.protectiveScenes / r.scenes)})</span>}
                </td>
                <td>{formatCount(r.experiences)}</td>
                <td>{formatCount(r.words)}</td>
                <td title={`${formatCount(r.avgWordsPerScene)} words per scene`}>
                  {formatCount(r.avgTurnsPerScene, 1)}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr className="paper">
              <th scope="row" title="Shao et al. 2023, per character across its nine characters">
                The paper
              </th>
              <td>{range(paper.chunks, formatCount)}</td>
              <td>{range(paper.profileWords, thousands)}</td>
              <td>{range(paper.scenes, thousands)}</td>
              <td>{range(paper.protectiveShare, (n) => formatCount(n * 100))}%</td>
              <td />
              <td>{range(paper.words, thousands)}</td>
              <td>{range(paper.avgTurnsPerScene, (n) => formatCount(n, 1))}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </section>
  );
}
