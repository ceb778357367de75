import type { Character, EvalSystem, Interview, InterviewTurn } from '../../../common/contract';
import type { Db } from '../../store/database';
import type { EvalRepo, NewTurn } from '../../store/eval-repo';
import type { JobsRepo } from '../../store/jobs-repo';
import type { Clock, IdFactory } from '../clock';
import type { RunHandle } from '../jobs/job-runner';
import type { JobLlm } from '../jobs/job-calls';
import { DEFAULT_CHAT_SAMPLING, type ChatRuntime, type ChatSetting } from '../runtimes/chat-runtime';
import { INTERVIEWER_NAME, interviewerMessages } from './eval-prompts';
import { intervieweeMessages, stripNonstop, type Exchange } from './interviewee';

/** Tokens of one interviewer question: a sentence or two. */
const INTERVIEWER_MAX_TOKENS = 300;

/** What every interview of one job shares. */
export interface RoundsContext {
  character: Character;
  /** The profile's first paragraph: what the interviewer (and a prompted baseline) knows of the character. */
  intro: string;
  setting: ChatSetting;
  /** The job's gateway to the interviewer's provider; null when the job has no multi-turn interview. */
  interviewer: JobLlm | null;
  interviewerTemperature: number;
}

/** The interviewee's reply, refused: said nothing at all (neither speech nor a thought). */
export class EmptyAnswer extends Error {}

/**
 * The rounds of one interview. A round is the interviewer's question, then the character's answer
 * (its thoughts and its speech as separate turns). Each round is written as soon as it ends, the
 * last one together with the interview's `done` mark and its job item's, so an interview stopped
 * anywhere starts again at the first round without an answer, reusing a question already asked (and
 * paid for) in that round. Nothing of an unfinished answer is written.
 */
export class InterviewRounds {
  constructor(
    private readonly db: Db,
    private readonly repo: EvalRepo,
    private readonly jobs: JobsRepo,
    private readonly clock: Clock,
    private readonly newId: IdFactory,
    private readonly ctx: RoundsContext,
  ) {}

  /**
   * Runs the interview's remaining rounds; returns early (writing nothing more) when the run's signal
   * aborts. `onRound` is told after each stored round, with the call the round ended with.
   */
  async run(
    interview: Interview,
    system: EvalSystem,
    runtime: ChatRuntime,
    run: RunHandle,
    itemId: string,
    onRound: (callId: string | null) => void,
  ): Promise<void> {
    const signal = run.controller.signal;
    const stored = this.repo.turns(interview.id);
    const answered = Math.max(0, ...stored.filter((t) => t.role === 'character').map((t) => t.round));
    // Turns of a round after the last answered one are its question, kept; anything later is dropped.
    const history = exchanges(stored.filter((t) => t.round <= answered));
    let lastCall: string | null = null;
    for (let round = answered + 1; round <= interview.rounds; round++) {
      if (signal.aborted) return;
      const asked = stored.find((t) => t.round === round && t.role === 'interviewer');
      let question = asked?.text ?? null;
      const pending: NewTurn[] = [];
      if (question === null) {
        if (interview.mode === 'single') {
          question = interview.question;
          pending.push(this.turn(interview, round, 'interviewer', INTERVIEWER_NAME, 'speaking', question, false, null));
        } else {
          const callId = this.newId();
          question = await this.ask(interview, history, round, run, callId, itemId);
          if (question === null) return;
          lastCall = callId;
          // Stored at once: a question is paid for, and a resumed interview asks it again as it was.
          this.repo.insertTurns(
            [this.turn(interview, round, 'interviewer', INTERVIEWER_NAME, 'speaking', question, false, callId)],
            this.clock.now(),
          );
        }
      }
      history.push({ role: 'interviewer', text: question });
      const callId = runtime.identity.kind === 'embedded' ? null : this.newId();
      const reply = await runtime.reply({
        messages: intervieweeMessages(system, this.ctx.character, this.ctx.intro, this.ctx.setting, history),
        sampling: { ...DEFAULT_CHAT_SAMPLING, ...system.sampling },
        signal,
        onDelta: () => undefined,
        ...(callId !== null && { callId }),
      });
      if (reply.finish === 'cancelled' || signal.aborted) return;
      const speech = stripNonstop(reply.text);
      const thought = reply.reasoning?.trim() ?? '';
      if (speech.text.trim() === '' && thought === '')
        throw new EmptyAnswer(`${system.label} answered round ${round} with nothing (no speech, no thought)`);
      const cut = speech.marked || reply.finish === 'length';
      const who = this.ctx.character.shortName;
      if (thought !== '')
        pending.push(this.turn(interview, round, 'character', who, 'thinking', thought, false, callId));
      if (speech.text.trim() !== '')
        pending.push(this.turn(interview, round, 'character', who, 'speaking', speech.text.trim(), cut, callId));
      lastCall = callId ?? lastCall;
      const now = this.clock.now();
      this.db.transaction(() => {
        this.repo.insertTurns(pending, now);
        if (round === interview.rounds) {
          this.repo.setInterviewStatus(interview.id, 'done', null, now);
          this.jobs.items.completeItem(itemId, lastCall, now);
        }
      })();
      history.push({ role: 'character', text: speech.text.trim(), reasoning: thought || null });
      onRound(lastCall);
    }
    // Every round was already stored (a crash between the last round and its mark cannot happen:
    // they share a transaction), but an interview planned with 0 rounds left still ends.
    if (answered >= interview.rounds) {
      const now = this.clock.now();
      this.db.transaction(() => {
        this.repo.setInterviewStatus(interview.id, 'done', null, now);
        this.jobs.items.completeItem(itemId, lastCall, now);
      })();
    }
  }

  /** The interviewer's next question, or null when the run stopped meanwhile. */
  private async ask(
    interview: Interview,
    history: readonly Exchange[],
    round: number,
    run: RunHandle,
    callId: string,
    itemId: string,
  ): Promise<string | null> {
    const llm = this.ctx.interviewer;
    if (!llm)
      throw new Error('This multi-turn interview has no interviewer: resume it after choosing a provider for one.');
    const result = await llm.gateway.complete(
      {
        messages: interviewerMessages(
          this.ctx.character,
          this.ctx.intro,
          interview.question,
          this.ctx.setting,
          history,
          round,
          interview.rounds,
        ),
        temperature: this.ctx.interviewerTemperature,
        maxTokens: INTERVIEWER_MAX_TOKENS,
      },
      { signal: run.controller.signal, callId, tag: itemId },
    );
    if (run.controller.signal.aborted) return null;
    const question = cleanQuestion(result.text);
    if (question === '') throw new Error(`the interviewer wrote no question for round ${round}`);
    return question;
  }

  private turn(
    interview: Interview,
    round: number,
    role: InterviewTurn['role'],
    speaker: string,
    action: InterviewTurn['action'],
    text: string,
    nonstop: boolean,
    callId: string | null,
  ): NewTurn {
    return {
      id: this.newId(),
      interviewId: interview.id,
      round,
      role,
      speaker,
      action,
      rawAction: null,
      text,
      nonstop,
      source: null,
      callId: callId as InterviewTurn['callId'],
    };
  }
}

/** Stored turns as the conversation both sides read: speech, with the character's thoughts beside it. */
function exchanges(turns: readonly InterviewTurn[]): Exchange[] {
  const out: Exchange[] = [];
  for (const t of turns) {
    const last = out.at(-1);
    if (t.role === 'interviewer') {
      if (t.action === 'speaking') out.push({ role: 'interviewer', text: t.text });
      continue;
    }
    const piece = t.action === 'thinking' ? { reasoning: t.text } : { text: t.text };
    if (last?.role === 'character') {
      if (piece.text !== undefined) last.text = last.text ? `${last.text}\n${piece.text}` : piece.text;
      if (piece.reasoning !== undefined)
        last.reasoning = last.reasoning ? `${last.reasoning}\n${piece.reasoning}` : piece.reasoning;
    } else out.push({ role: 'character', text: piece.text ?? '', reasoning: piece.reasoning ?? null });
  }
  return out;
}

/** The question alone: no `Man:` label, no wrapping quotes, one paragraph. */
export function cleanQuestion(text: string): string {
  return text
    .trim()
    .replace(new RegExp(`^${INTERVIEWER_NAME}\\s*(?:\\((?:speaking)\\))?\\s*:\\s*`, 'i'), '')
    .replace(/^["“](.*)["”]$/s, '$1')
    .trim()
    .replace(/\s*\n\s*/g, ' ');
}
