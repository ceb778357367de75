/**
 * `eval/import-outputs`: the paper's released interview outputs (a whole `gen_results` folder, one
 * of its result folders, or flat files named `Beethoven_sft.json` / `multiturn_Beethoven_sft.jsonl`)
 * become `imported` systems of their characters, with `done` interviews and turns in the eval
 * tables, so they are judged and reported exactly like our own interviews.
 *
 * Each `{Short}_{system}` is one system, labelled `{system} (paper)`. A short name is matched to the
 * character whose short name it is (case aside) or to the one the user named in `map`; anything
 * else (the paper's `Hermonie`, a character not in the studio) is returned as unmatched and nothing
 * of it is imported: never guessed. A system already imported under that label is left as it is
 * (its judgments too) and said so; archive it to import again.
 *
 * Every file is parsed before anything is written, and everything is written in one transaction:
 * a broken file fails the whole call, naming the file and the line. Files are read one at a time
 * with a turn of the event loop between them, so the serve door keeps answering.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Character, CharacterId, OutputsImportReport, OutputsImportRequest } from '../../../common/contract';
import type { Db } from '../../store/database';
import type { EvalRepo } from '../../store/eval-repo';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import { ImportPlan } from './outputs-plan';
import { parseMultiTurn, parseSingleTurn, sourceOfPath, type OutputSource } from './paper-outputs';

/** The largest released file is under 1 MB; anything far bigger is not one. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

interface FoundFile {
  /** As shown to people: the path given, or the uploaded name. */
  label: string;
  source: OutputSource;
  read: () => Promise<string>;
}

export interface OutputsImportDeps {
  db: Db;
  repo: EvalRepo;
  characters: () => Character[];
  clock: Clock;
  newId: IdFactory;
  /** Called once per character that gained systems (the eval area's `eval/systems/changed`). */
  changed: (characterId: CharacterId) => void;
}

export class OutputsImportService {
  constructor(private readonly deps: OutputsImportDeps) {}

  async import(request: OutputsImportRequest): Promise<OutputsImportReport> {
    const started = Date.now();
    const { files, skipped } = await this.find(request);
    if (files.length === 0) {
      throw new StudioFailure(
        'invalid_argument',
        `No released interview outputs found${skipped.length ? ` (left alone: ${skipped.slice(0, 5).join(', ')})` : ''}. Choose the gen_results folder, one of its *_result folders, or files named like Beethoven_sft.json or multiturn_Beethoven_sft.jsonl.`,
      );
    }
    const characters = this.deps.characters();
    const resolved = new Map<string, Character | null>();
    for (const f of files) {
      if (!resolved.has(f.source.short)) resolved.set(f.source.short, this.match(f.source.short, characters, request));
    }
    const unmatched = [...resolved].filter(([, c]) => !c).map(([short]) => short);
    const report: OutputsImportReport = {
      unmatched: unmatched.map((short) => ({
        short,
        files: files.filter((f) => f.source.short === short).map((f) => f.label),
      })),
      systems: [],
      oddLabels: [],
      skipped,
      notices: [],
      dryRun: request.dryRun === true,
      durationMs: 0,
    };
    const plan = new ImportPlan(this.deps);
    // Group the matched files by character and system, in a stable order.
    const groups = new Map<string, { character: Character; source: OutputSource; files: FoundFile[] }>();
    for (const f of files) {
      const character = resolved.get(f.source.short);
      if (!character) continue;
      const key = `${character.id}\u0000${f.source.short}\u0000${f.source.system}`;
      const group = groups.get(key) ?? { character, source: f.source, files: [] };
      group.files.push(f);
      groups.set(key, group);
    }
    for (const { character, source, files: group } of groups.values()) {
      const label = `${source.system} (paper)`;
      const existing = this.deps.repo.systemByLabel(character.id, label);
      const live = existing && this.deps.repo.systems(character.id).some((s) => s.id === existing.id);
      if (existing && live) {
        report.notices.push(
          `${character.shortName} already has a system "${label}" (${existing.interviews} interviews): left as it is. Archive it to import again.`,
        );
        continue;
      }
      const free = existing ? this.freeLabel(character.id, label) : label;
      const system = plan.system(character, source, free, group.map((f) => f.label).join(', '));
      for (const file of group) {
        const text = await file.read();
        if (file.source.kind === 'single') {
          const parsed = parseSingleTurn(text, file.label);
          report.oddLabels.push(...parsed.oddLabels);
          for (const answer of parsed.items) plan.single(system, answer, `${file.label}#${answer.index}`);
        } else {
          const parsed = parseMultiTurn(text, file.label);
          report.oddLabels.push(...parsed.oddLabels);
          for (const interview of parsed.items) plan.multi(system, interview, `${file.label}:${interview.line}`);
        }
        await nextTurn();
      }
      report.systems.push(system.summary);
    }
    if (report.oddLabels.length) {
      report.notices.push(
        `${report.oddLabels.length} turns had an action label other than (speaking) or (thinking); each was read as the word it holds and kept as written.`,
      );
    }
    if (unmatched.length) {
      report.notices.push(
        `Not imported: ${unmatched.join(', ')} match no character's short name. Say which character each is and import again.`,
      );
    }
    if (!report.dryRun && report.systems.length) {
      plan.commit(this.deps.clock.now());
      for (const id of new Set(report.systems.map((s) => s.characterId))) this.deps.changed(id);
    }
    report.durationMs = Date.now() - started;
    return report;
  }

  /** `sft (paper) 2`, `… 3`: the first label no system of the character holds (archived ones keep theirs). */
  private freeLabel(characterId: CharacterId, label: string): string {
    for (let n = 2; ; n++) if (!this.deps.repo.systemByLabel(characterId, `${label} ${n}`)) return `${label} ${n}`;
  }

  private match(short: string, characters: Character[], request: OutputsImportRequest): Character | null {
    const mapped = request.map?.[short];
    if (mapped) {
      const character = characters.find((c) => c.id === mapped);
      if (!character) throw new StudioFailure('not_found', `--map ${short}=…: there is no character ${mapped}.`);
      return character;
    }
    const same = characters.filter((c) => c.shortName.trim().toLowerCase() === short.toLowerCase());
    return same.length === 1 ? same[0]! : null;
  }

  private async find(request: OutputsImportRequest): Promise<{ files: FoundFile[]; skipped: string[] }> {
    const files: FoundFile[] = [];
    const skipped: string[] = [];
    const add = (label: string, read: () => Promise<string>) => {
      const source = sourceOfPath(label);
      if (source) files.push({ label, source, read });
      else skipped.push(label);
    };
    for (const upload of request.files ?? []) {
      const bytes = Buffer.from(upload.base64, 'base64');
      if (bytes.length > MAX_FILE_BYTES) throw tooLarge(upload.name);
      add(upload.name, () => Promise.resolve(bytes.toString('utf8')));
    }
    const walk = async (path: string): Promise<void> => {
      const info = await stat(path).catch(() => null);
      if (!info)
        throw new StudioFailure('not_found', `There is no file or folder ${path}. Check the path and try again.`);
      if (info.isDirectory()) {
        const entries = (await readdir(path)).sort();
        for (const entry of entries) if (!entry.startsWith('.')) await walk(join(path, entry));
        return;
      }
      if (!/\.jsonl?$/i.test(path)) return void skipped.push(path);
      if (info.size > MAX_FILE_BYTES) throw tooLarge(path);
      add(path, () => readFile(path, 'utf8'));
    };
    for (const path of request.paths ?? []) await walk(path);
    return { files, skipped };
  }
}

function tooLarge(name: string): StudioFailure {
  return new StudioFailure(
    'too_large',
    `${name} is over ${MAX_FILE_BYTES / 1048576} MB: not one of the paper's interview files.`,
  );
}
