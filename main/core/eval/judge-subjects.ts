import type { CharacterId, InterviewId, JobId } from '../../../common/contract';
import type { JudgmentsRepo } from '../../store/judgments-repo';
import type { CharacterService } from '../character-service';
import { INTERVIEWER_NAME, interviewSetting } from './eval-prompts';
import type { JudgeSubject } from './judge-prompts';
import type { ProfileText } from './profile-text';
import { transcriptText } from './transcript-text';
import type { EvalRepo } from '../../store/eval-repo';

/**
 * What the judge is shown of an interview: the character, the first paragraph of its profile (the
 * paper shows only that), the interview's setting and its turns, thoughts included and marked.
 * The setting is the one stored on the job that ran the interview; an imported interview has no
 * job and gets the studio's interview setting (the paper interviewed every system in the same one).
 */
export class JudgeSubjects {
  constructor(
    private readonly repo: JudgmentsRepo,
    private readonly evalRepo: EvalRepo,
    private readonly characters: CharacterService,
    private readonly profile: ProfileText,
  ) {}

  /** Null when the interview is gone (deleted since the job was planned). */
  of(characterId: CharacterId, interviewId: InterviewId): JudgeSubject | null {
    const interview = this.repo.interview(interviewId);
    if (!interview) return null;
    const character = this.characters.get(characterId);
    const setting = this.settingOf(interview.job_id) ?? interviewSetting(character);
    const intro = this.profile.intro(characterId);
    return {
      character: character.fullName,
      short: character.shortName,
      profileParagraph: intro || `(No profile: judge from what is generally known about ${character.fullName}.)`,
      location: setting.location,
      status: setting.status,
      interviewer: INTERVIEWER_NAME,
      // Thoughts included: the paper's judge reads them, marked (thinking), as part of the acting.
      transcript: transcriptText(this.evalRepo.turns(interviewId), { thoughts: true }),
    };
  }

  private settingOf(jobId: JobId | null): { location: string; status: string } | null {
    const settings = jobId ? this.repo.jobSettings(jobId) : undefined;
    if (!settings) return null;
    const parsed = JSON.parse(settings) as { location?: unknown; status?: unknown };
    return typeof parsed.location === 'string' && typeof parsed.status === 'string'
      ? { location: parsed.location, status: parsed.status }
      : null;
  }
}
