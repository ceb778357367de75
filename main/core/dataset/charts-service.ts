import type {
  Character,
  CharacterFigures,
  CharacterId,
  DatasetCharts,
  PaperFigures,
  SpeakerShare,
  StageCounts,
  TurnKind,
} from '../../../common/contract';
import type { DatasetChartsRepo, FigureGroup, StageGroup } from '../../store/dataset-charts-repo';
import { WORDS_PER_TURN_EDGES } from '../../store/turn-figures';
import { fixedHistogram, histogram } from './histogram';

/** Speakers the chart names one by one; the rest are summed as "others". */
export const TOP_SPEAKERS = 10;
/** Characters of a training example per token, the studio's one estimate where no tokenizer is at hand. */
const CHARS_PER_TOKEN = 4;
/** Tokens per example are grouped in SQL at this resolution before re-binning. */
const TOKEN_RESOLUTION = 16;

/**
 * What the paper reports per character (Shao et al. 2023, ../shared/METHOD.md §1): profiles of
 * 13–115 chunks and 1.5k–13.7k words, 1.4K–2.2K scenes of 599K–1,038K words, 13.2 turns a scene on
 * average, 1–5% protective.
 */
export const PAPER_FIGURES: PaperFigures = {
  chunks: { low: 13, high: 115 },
  profileWords: { low: 1_500, high: 13_700 },
  scenes: { low: 1_400, high: 2_200 },
  words: { low: 599_000, high: 1_038_000 },
  avgTurnsPerScene: { low: 13.2, high: 13.2 },
  protectiveShare: { low: 0.01, high: 0.05 },
};

/**
 * The dataset measured for the Statistics view and `character-studio dataset stats|compare`: every
 * figure is an aggregate the store computes over counts kept on write; this service only re-bins
 * grouped rows and names things.
 */
export class DatasetChartsService {
  constructor(
    private readonly repo: DatasetChartsRepo,
    private readonly character: (id: CharacterId) => Character,
  ) {}

  charts(characterId: CharacterId): DatasetCharts {
    const character = this.character(characterId);
    const stages = this.repo.stages(characterId);
    const normal = stageCounts(stages, false);
    const protective = stageCounts(stages, true);
    const all = normal.scenes + protective.scenes;
    const speakers = this.repo.speakers(characterId);
    const { shares, others, kinds } = speakerShares(speakers, character);
    const turns = kinds.speaking.turns + kinds.thinking.turns + kinds.action.turns;
    const words = kinds.speaking.words + kinds.thinking.words + kinds.action.words;
    const chunks = this.repo.chunks(characterId);
    const withChunk = this.repo.scenesWithChunk(characterId);
    return {
      characterId,
      normal,
      protective,
      protectiveShare: all === 0 ? 0 : protective.scenes / all,
      chunks: chunks.map((c, i) => ({ ...c, number: i + 1, head: c.head.replace(/\s+/g, ' ').trim() })),
      withoutChunk: normal.scenes - withChunk.normal,
      protectiveWithoutChunk: protective.scenes - withChunk.protective,
      turnsPerScene: histogram(groups(this.repo.distribution(characterId, 'turn_count', 1), 1, 1), 1, 'turns'),
      wordsPerTurn: fixedHistogram(
        this.repo.turnLengths(characterId).map((b) => ({ bucket: b.value, count: b.count })),
        WORDS_PER_TURN_EDGES,
        'words',
        turns === 0 ? 0 : words / turns,
      ),
      tokensPerExample: histogram(
        groups(
          this.repo.distribution(characterId, 'train_chars', TOKEN_RESOLUTION * CHARS_PER_TOKEN),
          TOKEN_RESOLUTION,
          CHARS_PER_TOKEN,
        ),
        TOKEN_RESOLUTION,
        'tokens',
      ),
      speakers: shares,
      others,
      kinds,
    };
  }

  compare(): { characters: CharacterFigures[]; paper: PaperFigures } {
    const characters = this.repo.characterTotals().map((t) => ({
      ...t,
      avgTurnsPerScene: t.experiences === 0 ? 0 : t.turns / t.experiences,
      avgWordsPerScene: t.experiences === 0 ? 0 : t.words / t.experiences,
    }));
    return { characters, paper: PAPER_FIGURES };
  }
}

function stageCounts(groups: readonly StageGroup[], protective: boolean): StageCounts {
  const counts: StageCounts = { scenes: 0, experiences: 0, waiting: 0, rejected: 0 };
  for (const g of groups) {
    if (g.protective !== protective) continue;
    counts.scenes += g.scenes;
    if (g.hasExperience) counts.experiences += g.scenes;
    // Rejected scenes never get their experience: they are not waiting for one.
    else if (!g.rejected) counts.waiting += g.scenes;
    if (g.rejected) counts.rejected += g.scenes;
  }
  return counts;
}

/** SQL groups of a figure (value = figure / (resolution × perUnit)) in the histogram's unit. */
function groups(rows: readonly FigureGroup[], resolution: number, perUnit: number) {
  return rows.map((r) => ({
    from: r.value * resolution,
    count: r.count,
    sum: r.sum / perUnit,
    max: Math.round(r.max / perUnit),
  }));
}

/** Speakers by turns (the character always named), the rest summed, and totals by kind. */
function speakerShares(
  rows: readonly { speaker: string; kind: TurnKind; turns: number; words: number }[],
  character: Character,
) {
  const aliases = new Set([character.fullName, character.shortName].map((n) => n.trim().toLowerCase()));
  const kinds: Record<TurnKind, { turns: number; words: number }> = {
    speaking: { turns: 0, words: 0 },
    thinking: { turns: 0, words: 0 },
    action: { turns: 0, words: 0 },
  };
  const bySpeaker = new Map<string, SpeakerShare>();
  for (const row of rows) {
    const kind = kinds[row.kind] ?? kinds.speaking;
    kind.turns += row.turns;
    kind.words += row.words;
    const key = row.speaker.toLowerCase();
    const share = bySpeaker.get(key) ?? { speaker: row.speaker, character: aliases.has(key), turns: 0, words: 0 };
    share.turns += row.turns;
    share.words += row.words;
    bySpeaker.set(key, share);
  }
  const sorted = [...bySpeaker.values()].sort((a, b) => b.turns - a.turns || a.speaker.localeCompare(b.speaker));
  const shares = sorted.slice(0, TOP_SPEAKERS);
  const self = sorted.slice(TOP_SPEAKERS).filter((s) => s.character);
  const rest = sorted.slice(TOP_SPEAKERS).filter((s) => !s.character);
  return {
    shares: [...shares, ...self],
    others: {
      speakers: rest.length,
      turns: rest.reduce((n, s) => n + s.turns, 0),
      words: rest.reduce((n, s) => n + s.words, 0),
    },
    kinds,
  };
}
