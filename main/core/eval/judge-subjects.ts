import type { CharacterId, InterviewId } from '../../../common/contract';
import type { JudgmentsRepo } from '../../store/judgments-repo';
import type { CharacterService } from '../character-service';
import type { ProfileService } from '../profile-service';
import { isHeadingLine } from '../profile-text';
import type { JudgeSubject } from './judge-prompts';

/**
 * The paper's interview setting (METHOD.md §3), for interviews whose job did not store one (imported
 * answers: the paper interviewed every system in it).
 */
export const PAPER_SETTING = {
  location: 'Coffee Shop - Afternoon',
  status: (short: string) =>
    `${short} is casually chatting with a man from the 21st century. ${short} fully trusts the man who engages in conversation and shares everything ${short} knows without reservation.`,
  interviewer: 'Man',
};

/**
 * What the judge is shown of an interview: the character, the first paragraph of its profile (the
 * paper shows only that), the interview's setting (from the job that ran it) and its turns, thoughts
 * included and marked. Profiles are read once per character for the life of this object (a job run).
 */
export class JudgeSubjects {
  private readonly paragraphs = new Map<CharacterId, string>();

  constructor(
    private readonly repo: JudgmentsRepo,
    private readonly characters: CharacterService,
    private readonly profiles: ProfileService,
  ) {}

  /** Null when the interview is gone (deleted since the job was planned). */
  of(characterId: CharacterId, interviewId: InterviewId): JudgeSubject | null {
    const interview = this.repo.interview(interviewId);
    if (!interview) return null;
    const character = this.characters.get(characterId);
    const setting = this.settingOf(interview.job_id);
    return {
      character: character.fullName,
      short: character.shortName,
      profileParagraph: this.paragraph(characterId),
      location: setting?.location ?? PAPER_SETTING.location,
      status: setting?.status ?? PAPER_SETTING.status(character.shortName),
      interviewer: PAPER_SETTING.interviewer,
      turns: this.repo.turns(interviewId).map((t) => ({
        role: t.role,
        // An odd label of an imported file is shown as the file wrote it.
        action: t.raw_action?.replace(/^\(+|\)+$/g, '') || t.action,
        text: t.text,
      })),
    };
  }

  /** The first paragraph of the character's first profile, without its heading lines. */
  paragraph(characterId: CharacterId): string {
    let text = this.paragraphs.get(characterId);
    if (text === undefined) {
      const lines = (this.profiles.list(characterId)[0]?.chunks[0]?.text ?? '').split('\n');
      let start = 0;
      while (start < lines.length - 1 && isHeadingLine(lines[start]!)) start++;
      text = lines.slice(start).join('\n').trim();
      if (text === '') text = `(No profile: judge from what is generally known about ${this.characters.get(characterId).fullName}.)`;
      this.paragraphs.set(characterId, text);
    }
    return text;
  }

  private settingOf(jobId: string | null): { location: string; status: string } | null {
    if (!jobId) return null;
    const settings = this.repo.jobSettings(jobId as never);
    if (!settings) return null;
    const parsed = JSON.parse(settings) as { location?: unknown; status?: unknown };
    return typeof parsed.location === 'string' && typeof parsed.status === 'string'
      ? { location: parsed.location, status: parsed.status }
      : null;
  }
}
