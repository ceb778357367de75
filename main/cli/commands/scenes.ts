import { importedFromText } from '../../../common/provenance';
import { revisionNumbering, storedRevision } from '../../../common/scene-doc/revision-numbers';
import type {
  CharacterId,
  RevisionRef,
  SceneDoc,
  SceneId,
  SceneRevision,
  SceneSort,
  SceneSummary,
} from '../../../common/contract';
import {
  argument,
  confirmDelete,
  findCharacter,
  findProvider,
  findScene,
  str,
  UsageError,
  type CliContext,
} from '../shared';
import { followJob } from './generate';
import { adoptCommand, chosenProposal, proposalsCommand } from './scene-proposals';
import { sceneProvenance } from './scene-provenance';
import { filterOptions, SORTS } from './scene-filter-options';
import { unknownSubcommand } from '../command-hints';
import { conflictOption, editScene, readSceneFile, showDiff } from './scene-edit';

const AUTHORS: Record<SceneRevision['author'], string> = {
  generated: 'generated',
  user: 'edited by hand',
  llm: 'rewritten by the LLM',
  import: 'imported',
};

/** `--revision` of `scenes restore`: a revision number, which it needs. */
function restoreRevision(text: string | undefined): number {
  const wanted = revisionRef(text, '--revision', 'current');
  if (typeof wanted !== 'number') throw new UsageError('Say which revision to restore: --revision <n>.');
  return wanted;
}

/** `--from`/`--to`: a revision number, `original` or `current`. */
function revisionRef(text: string | undefined, flag: string, fallback: RevisionRef): RevisionRef {
  if (text === undefined) return fallback;
  if (text === 'original' || text === 'current') return text;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`${flag} must be a revision number, "original" or "current", not "${text}".`);
  }
  return n;
}

function showDoc(doc: SceneDoc): string {
  return [
    `${doc.type} · ${doc.location}${doc.time ? ` · ${doc.time}` : ''}`,
    doc.people.length > 0 ? `With: ${doc.people.join(', ')}` : '',
    '',
    doc.background,
    ...(doc.experienceBackground ? ['', doc.experienceBackground] : []),
    '',
    ...(doc.turns.length === 0
      ? ['(no experience yet)']
      : doc.turns.map((t, i) => `${i + 1}. ${t.speaker} (${t.kind}): ${t.text}`)),
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
}

function showRevision(r: SceneRevision, shown: (stored: number) => number): string {
  const restored =
    r.restoredFrom !== null ? ` (restores ${shown(r.restoredFrom)})` : r.instruction ? ` ("${r.instruction}")` : '';
  const prompt = r.promptVersion ? ` · prompt ${r.promptVersion}` : '';
  const call = r.callId ? ` · call ${r.callId}` : '';
  const imported = r.importedFrom ? ` ${importedFromText(r.importedFrom)}` : '';
  return `${shown(r.revision)}  ${new Date(r.createdAt).toISOString()}  ${AUTHORS[r.author]}${imported}${restored}${prompt}${call}`;
}

/** One scene of `scenes list`: id, kind, what and where, figures, review; the search's words in «». */
function showSummary(s: SceneSummary): string {
  const kind = s.protective ? ' [protective]' : '';
  const review = [
    s.review.status === 'unreviewed' ? '' : s.review.status,
    s.review.rating === null ? '' : '★'.repeat(s.review.rating),
    ...s.review.tags.map((t) => `#${t}`),
  ].filter(Boolean);
  const figures = s.hasExperience ? `${s.turns} turns, ${s.words} words` : 'waiting for its experience';
  const head = `${s.id}${kind}  ${s.type} · ${s.location}${s.time ? ` · ${s.time}` : ''}  (${figures})`;
  const snippet = s.snippet?.map((p) => (p.match ? `«${p.text}»` : p.text)).join('');
  return [head + (review.length > 0 ? `  ${review.join(' ')}` : ''), ...(snippet ? [`    ${snippet}`] : [])].join('\n');
}

/** `scenes list <character>`: one keyset page of the Dataset tab's list, with its filter and order. */
async function listScenes(ctx: CliContext): Promise<number> {
  const { call, rest, values, print } = ctx;
  const character = await findCharacter(call, argument(rest, 1, '<character>', 'scenes list'));
  const limitText = str(values, 'limit') ?? '50';
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw new UsageError(`--limit takes a whole number from 1 to 500, not "${limitText}".`);
  const sortText = str(values, 'sort');
  if (sortText !== undefined && !SORTS.includes(sortText as SceneSort))
    throw new UsageError(`Unknown --sort "${sortText}": use ${SORTS.join(', ')}.`);
  const after = str(values, 'after');
  const page = await call('scenes/list', {
    characterId: character.id,
    limit,
    ...filterOptions(ctx),
    ...(sortText !== undefined && { sort: sortText as SceneSort }),
    ...(after !== undefined && { after }),
  });
  print(page, () =>
    [
      page.scenes.length === 0 ? `No scene of ${character.fullName} matches.` : page.scenes.map(showSummary).join('\n'),
      ...(page.next === null ? [] : [`More: add --after ${page.next}`]),
    ].join('\n'),
  );
  return 0;
}

/**
 * `scenes regenerate <scene…> --instruction "…" [--turn N] [--provider P]`, or for every scene of a
 * filter `scenes regenerate --character <c> <filter options> --instruction "…" --yes`: one
 * `regenerate` job, followed to its end. Each rewrite is a new revision (`scenes history`); a scene
 * edited meanwhile keeps the edit and gets the rewrite as a proposal. `--turn` counts from 1.
 */
async function regenerateCommand(ctx: CliContext): Promise<number> {
  const { call, rest, values, io } = ctx;
  const instruction = str(values, 'instruction');
  if (instruction === undefined) throw new UsageError('Say what should change: --instruction "make him angrier".');
  const ids: SceneId[] = [];
  for (const key of rest.slice(1)) ids.push(await findScene(call, key));
  const filter = filterOptions(ctx);
  const characterKey = str(values, 'character');
  if (ids.length > 0 && (characterKey !== undefined || Object.keys(filter).length > 0))
    throw new UsageError('Name scenes, or give --character with filter options (--status, --with-tag…), not both.');
  const turnText = str(values, 'turn');
  const turn = turnText === undefined ? undefined : Number(turnText) - 1;
  if (turn !== undefined && !(Number.isInteger(turn) && turn >= 0))
    throw new UsageError(`--turn takes a turn number from 1 (as "scenes show" numbers them), not "${turnText}".`);
  const providerKey = str(values, 'provider');
  const providerId = providerKey === undefined ? undefined : (await findProvider(call, providerKey)).id;
  let characterId: CharacterId;
  if (ids.length > 0) {
    characterId = (await call('scenes/open', { id: ids[0]! })).scene.characterId;
  } else {
    if (characterKey === undefined)
      throw new UsageError('Name the scenes to rewrite, or --character <character> with filter options.');
    characterId = (await findCharacter(call, characterKey)).id;
    const count = (await call('review/counts', { characterId, filter })).total;
    if (count > 1 && !values.yes)
      throw new UsageError(
        `This rewrites ${count.toLocaleString('en-US')} scenes (one LLM call each); add --yes to go ahead.`,
      );
  }
  const job = await call('scenes/regenerate', {
    characterId,
    ...(ids.length > 0 ? { ids } : { filter }),
    instruction,
    ...(turn !== undefined && { turn }),
    ...(providerId !== undefined && { providerId }),
  });
  io.err(
    `Rewriting ${turn === undefined ? 'the experience' : `turn ${turn + 1}`} of ${job.total} scene${job.total === 1 ? '' : 's'}: "${job.settings.instruction}" (job ${job.id}).`,
  );
  return followJob(ctx, job.id);
}

/** Scenes a question names: how many, then each (three at most) by id and name, with what goes with them. */
export function scenesNamed(scenes: readonly { id: SceneId; name: string }[]): string {
  const shown = scenes.slice(0, 3).map((s) => `${s.id} ${s.name}`);
  const more = scenes.length > 3 ? `, and ${scenes.length - 3} more` : '';
  const one = scenes.length === 1;
  return `${scenes.length} scene${one ? '' : 's'} (${shown.join(', ')}${more}) with ${one ? 'its experience' : 'their experiences'} and history`;
}

/** What a scene is, for a line naming it: its type, then where and when. */
export function sceneName(doc: Pick<SceneDoc, 'type' | 'location' | 'time'>): string {
  return `"${doc.type || 'Untitled scene'}"${[doc.location, doc.time].some(Boolean) ? ` (${[doc.location, doc.time].filter(Boolean).join(', ')})` : ''}`;
}

/**
 * `scenes duplicate <scene>`: the Dataset tab's Duplicate, a new scene written by hand with the
 * scene's text as it stands (its current revision), chunk, protective limit and tags, for a
 * variant; the original is untouched.
 */
async function duplicateCommand(ctx: CliContext, id: SceneId): Promise<number> {
  const { doc } = await ctx.call('scenes/open', { id });
  const copy = await ctx.call('scenes/duplicate', { id });
  ctx.print(
    { ...copy, copiedFrom: id },
    () =>
      `Wrote scene ${copy.id}, a copy of ${id} ${sceneName(doc)} by hand. Edit it: character-studio scenes show ${copy.id} --json`,
  );
  return 0;
}

/**
 * `scenes delete <scene…> [--yes]`: the Dataset tab's Delete, for scenes named by id or a unique
 * start of one (all are found before any is deleted, and asked about on a terminal, as the tab
 * asks; a script says --yes); each is named as it goes, with its experience and history.
 */
async function deleteCommand(ctx: CliContext): Promise<number> {
  const { call, rest } = ctx;
  argument(rest, 1, '<scene id…>', 'scenes delete');
  const named = new Map<SceneId, { characterId: CharacterId; name: string }>();
  for (const key of rest.slice(1)) {
    const id = await findScene(call, key);
    const { scene, doc } = await call('scenes/open', { id });
    named.set(id, { characterId: scene.characterId, name: sceneName(doc) });
  }
  await confirmDelete(ctx, scenesNamed([...named].map(([id, { name }]) => ({ id, name }))));
  const byCharacter = new Map<CharacterId, SceneId[]>();
  for (const [id, { characterId }] of named)
    byCharacter.set(characterId, [...(byCharacter.get(characterId) ?? []), id]);
  let deleted = 0;
  for (const [characterId, ids] of byCharacter) deleted += (await call('scenes/delete', { characterId, ids })).deleted;
  ctx.print({ deleted, ids: [...named.keys()] }, () =>
    [...named].map(([id, scene]) => `Deleted scene ${id} ${scene.name}.`).join('\n'),
  );
  return 0;
}

/**
 * `scenes list|create <character>`, `scenes regenerate|delete …` and
 * `scenes show|history|diff|restore|edit|duplicate <scene>`.
 */
export async function scenesCommand(sub: string, ctx: CliContext): Promise<number> {
  const { call, rest, print, values } = ctx;
  if (sub === 'list') return listScenes(ctx);
  if (sub === 'delete') return deleteCommand(ctx);
  if (sub === 'create') {
    const character = await findCharacter(call, argument(rest, 1, '<character>', 'scenes create'));
    const { doc } = await readSceneFile(argument(rest, 2, '<file.json|->', 'scenes create'), ctx);
    const created = await call('scenes/create', { characterId: character.id, doc });
    print(created, () => `Wrote scene ${created.id} by hand for ${character.fullName}.`);
    return 0;
  }
  if (sub === 'regenerate') return regenerateCommand(ctx);
  const key = argument(rest, 1, '<scene id>', `scenes ${sub}`);
  // The revision flags are read before the scene is looked up: a mistyped one is a usage error, whatever the id.
  const proposal = str(values, 'proposal');
  if (sub === 'diff' && proposal !== undefined && (str(values, 'from') ?? str(values, 'to')) !== undefined)
    throw new UsageError('--proposal compares the proposal with the current revision: give it without --from or --to.');
  const from = sub === 'diff' ? revisionRef(str(values, 'from'), '--from', 'original') : 'original';
  const to = sub === 'diff' ? revisionRef(str(values, 'to'), '--to', 'current') : 'current';
  const wanted = sub === 'restore' ? restoreRevision(str(values, 'revision')) : 0;
  const editFile = sub === 'edit' ? argument(rest, 2, '<file.json|->', 'scenes edit') : '';
  if (sub === 'edit') conflictOption(ctx);
  const id = await findScene(call, key);
  if (sub === 'edit') return editScene(ctx, id, editFile);
  if (sub === 'duplicate') return duplicateCommand(ctx, id);
  if (sub === 'provenance') return sceneProvenance(ctx, id);
  if (sub === 'proposals') return proposalsCommand(ctx, id);
  if (sub === 'adopt') return adoptCommand(ctx, id, proposal);
  // Revisions are numbered here as the History numbers them (#1 the first listed); the studio's
  // commands take the stored numbers, so each number typed is turned into the one stored. `--json`
  // keeps the stored numbers (`revision`) and adds the shown ones (`number`, `revisionNumber`,
  // `fromNumber`/`toNumber`): those are what `--revision`, `--from` and `--to` take.
  const numbering = async () => {
    const list = await call('scenes/revisions', { id });
    const storedNumber = (n: number, flag: string): number => {
      const found = storedRevision(list, n);
      if (found === null) {
        throw new UsageError(`${flag} ${n}: scene ${id} has revisions 1 to ${list.length} (see scenes history).`);
      }
      return found;
    };
    const stored = (ref: RevisionRef, flag: string): RevisionRef =>
      typeof ref === 'number' ? storedNumber(ref, flag) : ref;
    return { list, shown: revisionNumbering(list), stored, storedNumber };
  };
  switch (sub) {
    case 'show': {
      const scene = await call('scenes/open', { id });
      const { shown } = await numbering();
      print(
        { ...scene, revisionNumber: shown(scene.revision) },
        () =>
          `Revision ${shown(scene.revision)}${scene.origin === 'hand' ? ' · written by hand' : ''}\n${showDoc(scene.doc)}`,
      );
      return 0;
    }
    case 'history': {
      const { list, shown } = await numbering();
      print(
        list.map((r) => ({
          ...r,
          number: shown(r.revision),
          restoresNumber: r.restoredFrom === null ? null : shown(r.restoredFrom),
        })),
        () => list.map((r) => showRevision(r, shown)).join('\n'),
      );
      return 0;
    }
    case 'diff': {
      const { shown, stored } = await numbering();
      if (proposal !== undefined) {
        const chosen = await chosenProposal(ctx, id, proposal);
        const diff = await call('scenes/diff', { id, from: 'current', to: { proposal: chosen.id } });
        print(
          { ...diff, fromNumber: shown(diff.from), proposal: chosen },
          () =>
            `Revision ${shown(diff.from)} → proposal ${proposal} ("${chosen.instruction}")\n\n${showDiff(diff.sections)}`,
        );
        return 0;
      }
      const diff = await call('scenes/diff', { id, from: stored(from, '--from'), to: stored(to, '--to') });
      print(
        { ...diff, fromNumber: shown(diff.from), toNumber: shown(diff.to) },
        () => `Revision ${shown(diff.from)} → ${shown(diff.to)}\n\n${showDiff(diff.sections)}`,
      );
      return 0;
    }
    case 'restore': {
      const { storedNumber, shown } = await numbering();
      const { revision } = await call('scenes/open', { id });
      const restored = await call('scenes/restore', {
        id,
        revision: storedNumber(wanted, '--revision'),
        baseRevision: revision,
      });
      // The new revision is past the list read before it: the numbering counts on from its last.
      print(
        { ...restored, revisionNumber: shown(restored.revision) },
        () => `Restored revision ${wanted} as revision ${shown(restored.revision)}.`,
      );
      return 0;
    }
    default:
      throw unknownSubcommand('scenes', sub);
  }
}
