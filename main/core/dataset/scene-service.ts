import type {
  CallId,
  CharacterId,
  EditableScene,
  JobId,
  RevisionRef,
  Scene,
  SceneDiff,
  SceneDoc,
  SceneId,
  SceneOrigin,
  SavedScene,
  SceneProposal,
  SceneRevision,
} from '../../../common/contract';
import type { DatasetRepo } from '../../store/dataset-repo';
import type { CommitBase, NewProposal, RevisionSource, SceneRevisionsRepo } from '../../store/scene-revisions-repo';
import type { Clock, IdFactory } from '../clock';
import { StudioFailure } from '../errors';
import type { EventBus } from '../events';
import { revisionNumbering } from '../../../common/scene-doc/revision-numbers';
import { diffSceneDocs } from './scene-diff';
import { emitDatasetChanged } from './changed';

/** The editable document of a stored scene. */
export function docOf(scene: Scene): SceneDoc {
  return {
    type: scene.type,
    location: scene.location,
    time: scene.time,
    background: scene.background,
    people: scene.people,
    experienceBackground: scene.experience?.background ?? '',
    turns: scene.experience?.turns ?? [],
  };
}

/**
 * Scenes as items a person edits: open, save against a revision, history, diff and restore, and
 * scenes written by hand. Generation jobs write scenes through the dataset repo; every write moves
 * the scene's revision, which is what keeps a save from overwriting a change it has not seen.
 */
export class SceneService {
  constructor(
    private readonly dataset: DatasetRepo,
    private readonly revisions: SceneRevisionsRepo,
    private readonly characterExists: (id: CharacterId) => void,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
  ) {}

  open(id: SceneId): EditableScene {
    const scene = this.scene(id);
    const state = this.revisions.state(id);
    if (!state) throw this.missing();
    return { scene, doc: docOf(scene), revision: state.revision, origin: state.origin };
  }

  /** Stores a person's edit as the next revision; `conflict` when the scene moved since `baseRevision`. */
  save(id: SceneId, baseRevision: number, doc: SceneDoc): SavedScene {
    return this.commit(id, baseRevision, doc, { author: 'user', callId: null, promptVersion: null });
  }

  /** Every revision, oldest first; a scene never edited lists its generated original alone (not yet stored). */
  list(id: SceneId): SceneRevision[] {
    const stored = this.revisions.revisions(id);
    if (stored.length > 0) return stored;
    const { scene, revision } = this.open(id);
    const source = this.originalSource(scene);
    return [
      {
        sceneId: id,
        revision,
        author: source.author,
        callId: source.callId as CallId | null,
        promptVersion: source.promptVersion,
        restoredFrom: null,
        instruction: null,
        createdAt: scene.createdAt,
      },
    ];
  }

  diff(id: SceneId, from: RevisionRef, to: RevisionRef): SceneDiff {
    const a = this.resolve(id, from);
    const b = this.resolve(id, to);
    return { from: a.revision, to: b.revision, sections: diffSceneDocs(a.doc, b.doc) };
  }

  /** Brings back an earlier revision's document as a new revision (the history is never rewritten). */
  restore(id: SceneId, revision: number, baseRevision: number): SavedScene {
    const { doc } = this.resolve(id, revision);
    return this.commit(id, baseRevision, doc, {
      author: 'user',
      callId: null,
      promptVersion: null,
      restoredFrom: revision,
    });
  }

  /** A scene written by hand: no job and no LLM call; it trains like any other once it has turns. */
  create(
    characterId: CharacterId,
    doc: SceneDoc,
    origin: Exclude<SceneOrigin, 'generated'> = 'hand',
  ): { id: SceneId; revision: number } {
    this.characterExists(characterId);
    const clean = cleanDoc(doc);
    if (clean.type === '' && clean.location === '' && clean.background === '') {
      throw new StudioFailure(
        'invalid_argument',
        'A new scene needs at least a type, a location or a background: say what happens, where.',
      );
    }
    const id = this.newId() as SceneId;
    this.revisions.createHandWritten(id, characterId, clean, this.clock.now(), origin);
    emitDatasetChanged(this.events, characterId, [id]);
    return { id, revision: 1 };
  }

  /**
   * A variant of scene `id` written by hand: `doc` (else the scene as it stands) as a new scene that
   * keeps the original's profile chunk (so it can be regenerated from it), its protective limit and
   * its tags; its review starts afresh.
   */
  duplicate(id: SceneId, doc?: SceneDoc): { id: SceneId; revision: number } {
    const { scene, doc: stored } = this.open(id);
    const clean = cleanDoc(doc ?? stored);
    const copy = this.newId() as SceneId;
    this.revisions.createHandWritten(copy, scene.characterId, clean, this.clock.now(), 'hand', {
      from: id,
      chunkId: scene.chunkId,
      protective: scene.protective,
      limit: scene.limit,
    });
    emitDatasetChanged(this.events, scene.characterId, [copy]);
    return { id: copy, revision: 1 };
  }

  /** The regenerations of the scene kept aside (the scene had moved), newest first. */
  proposals(id: SceneId): SceneProposal[] {
    this.scene(id);
    return this.revisions.proposals(id);
  }

  /** How many of job `jobId`'s rewrites were kept as proposals. */
  proposalsOfJob(jobId: JobId): number {
    return this.revisions.countJobProposals(jobId);
  }

  /**
   * Makes a proposal the scene's next revision (author `llm`, with its call), named against
   * `baseRevision`: the current scene with the proposal's experience (see `withProposal`).
   */
  adopt(id: SceneId, proposalId: string, baseRevision: number): SavedScene {
    const proposal = this.proposalOf(id, proposalId);
    if (proposal.adoptedAs !== null)
      throw new StudioFailure('invalid_argument', `That proposal is already revision ${proposal.adoptedAs}.`);
    const doc = withProposal(this.open(id).doc, proposal.doc);
    return this.commit(id, baseRevision, doc, regenerationSource(proposal), () =>
      this.revisions.markAdopted(proposalId, baseRevision + 1),
    );
  }

  private proposalOf(id: SceneId, proposalId: string): SceneProposal & { doc: SceneDoc } {
    const proposal = this.revisions.proposal(proposalId);
    if (!proposal || proposal.sceneId !== id)
      throw new StudioFailure('not_found', 'That proposal is not one of this scene’s; refresh its history.');
    return proposal;
  }

  /**
   * Stores a regeneration's answer: as the scene's next revision when the scene is still at
   * `proposal.baseRevision`, else (a person or a job changed it since) as a proposal, so neither
   * change is lost. To be called inside the transaction that marks its job item done.
   */
  storeRegeneration(proposal: NewProposal): { revision: number } | { proposalId: string } {
    const scene = this.scene(proposal.sceneId);
    const clean = cleanDoc(proposal.doc);
    const result = this.revisions.commit(
      proposal.sceneId,
      proposal.baseRevision,
      clean,
      regenerationSource(proposal),
      this.baseOf(scene),
      this.clock.now(),
    );
    if (result === 'missing') throw this.missing();
    if (result !== 'conflict') return { revision: result };
    this.revisions.insertProposal({ ...proposal, doc: clean }, this.clock.now());
    return { proposalId: proposal.id };
  }

  private baseOf(scene: Scene): CommitBase {
    return {
      original: docOf(scene),
      originalSource: this.originalSource(scene),
      originalAt: scene.createdAt,
      experience: scene.experience,
    };
  }

  private commit(
    id: SceneId,
    baseRevision: number,
    doc: SceneDoc,
    source: RevisionSource,
    alongside?: () => void,
  ): SavedScene {
    const scene = this.scene(id);
    const clean = cleanDoc(doc);
    const result = this.revisions.transaction(() => {
      const stored = this.revisions.commit(id, baseRevision, clean, source, this.baseOf(scene), this.clock.now());
      if (typeof stored === 'number') alongside?.();
      return stored;
    });
    if (result === 'missing') throw this.missing();
    if (result === 'conflict') {
      const now = this.revisions.state(id)?.revision ?? baseRevision;
      // In the numbers the editor and the History show (a generated scene's are one below the stored).
      const shown = revisionNumbering(this.list(id));
      throw new StudioFailure(
        'conflict',
        `This scene changed since you opened it (revision ${shown(baseRevision)}, now ${shown(now)}): another window or a running job saved it. ` +
          'Nothing was overwritten; reload it to see that version, then make your change again.',
      );
    }
    emitDatasetChanged(this.events, scene.characterId, [id]);
    return { revision: result, doc: clean };
  }

  /** Who wrote a scene no one has edited yet: its experience's call when it has one, else the scene's. */
  private originalSource(scene: Scene): RevisionSource {
    const hand = (this.revisions.state(scene.id)?.origin ?? 'generated') !== 'generated';
    return {
      author: hand ? 'user' : 'generated',
      callId: scene.experience?.callId ?? scene.callId,
      promptVersion: scene.experience?.promptVersion ?? (scene.promptVersion || null),
    };
  }

  private resolve(id: SceneId, ref: RevisionRef): { revision: number; doc: SceneDoc } {
    if (typeof ref === 'object' && 'doc' in ref) {
      this.scene(id);
      return { revision: ref.basedOn, doc: ref.doc };
    }
    if (typeof ref === 'object') {
      const proposal = this.proposalOf(id, ref.proposal);
      // A proposal has no number of its own: it is shown as the revision it started from, and as
      // what adopting it would store.
      return { revision: proposal.baseRevision, doc: withProposal(this.open(id).doc, proposal.doc) };
    }
    const current = this.open(id);
    const stored = this.revisions.revisions(id);
    const number =
      ref === 'current' ? current.revision : ref === 'original' ? (stored[0]?.revision ?? current.revision) : ref;
    if (number === current.revision) return { revision: number, doc: current.doc };
    const doc = this.revisions.doc(id, number);
    if (!doc) {
      throw new StudioFailure(
        'not_found',
        `This scene has no revision ${number}; its revisions are ${this.list(id)
          .map((r) => r.revision)
          .join(', ')}.`,
      );
    }
    return { revision: number, doc };
  }

  private scene(id: SceneId): Scene {
    const scene = this.dataset.scene(id);
    if (!scene) throw this.missing();
    return scene;
  }

  private missing(): StudioFailure {
    return new StudioFailure('not_found', 'That scene no longer exists. It may have been deleted in another window.');
  }
}

/**
 * What adopting a proposal stores: the scene's fields as they are now (the change that made it a
 * proposal is kept) with the experience the rewrite wrote (a regeneration writes only that).
 */
function withProposal(current: SceneDoc, proposed: SceneDoc): SceneDoc {
  return { ...current, experienceBackground: proposed.experienceBackground, turns: proposed.turns };
}

/** How a regeneration is recorded on the revision it becomes. */
function regenerationSource(p: { callId: string | null; promptVersion: string; instruction: string }): RevisionSource {
  return { author: 'llm', callId: p.callId, promptVersion: p.promptVersion, instruction: p.instruction };
}

/**
 * Trims what a person typed around fields and names and drops empty names. A turn without a
 * speaker or without text is refused (training needs both), saying which one, so nothing is lost silently.
 */
function cleanDoc(doc: SceneDoc): SceneDoc {
  const turns = doc.turns.map((t) => ({ speaker: t.speaker.trim(), kind: t.kind, text: t.text.trim() }));
  const bad = turns.findIndex((t) => t.speaker === '' || t.text === '');
  if (bad >= 0) {
    const what = turns[bad]!.speaker === '' ? 'no speaker' : 'no text';
    throw new StudioFailure(
      'invalid_argument',
      `Turn ${bad + 1} has ${what}: fill it in or delete the turn, then save again. Nothing was saved yet.`,
    );
  }
  return {
    type: doc.type.trim(),
    location: doc.location.trim(),
    time: doc.time.trim(),
    background: doc.background.trim(),
    people: doc.people.map((p) => p.trim()).filter(Boolean),
    experienceBackground: doc.experienceBackground.trim(),
    turns,
  };
}
