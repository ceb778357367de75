import type { Character } from '../../../common/contract';
import { counted } from '../../../common/plural';

/**
 * What a character is made of, in the order a user looks for it: the profile a writer builds
 * (profiles when more than one, chunks, words) and the scenes a dataset has. A character built by import has scenes
 * and no profile: it leads with its scenes and says the profile is missing, not "0 profiles · 0 chunks".
 */
export function characterFigures(c: Character): string[] {
  const scenes = c.sceneCount > 0 ? [counted(c.sceneCount, 'scene')] : [];
  if (c.profileCount === 0) return [...scenes, 'no profile yet'];
  // One profile goes without saying (the Profile tab shows it); the line stays short enough for one
  // line beside the header's buttons at 1024 px.
  const profiles = c.profileCount > 1 ? [counted(c.profileCount, 'profile')] : [];
  return [...profiles, counted(c.chunkCount, 'chunk'), counted(c.wordCount, 'word'), ...scenes];
}

/** The sidebar's short line under a name: the scenes when there are any, else the chunks. */
export function characterSummary(c: Character): string {
  if (c.sceneCount > 0) return counted(c.sceneCount, 'scene');
  return c.chunkCount > 0 ? counted(c.chunkCount, 'chunk') : 'no profile yet';
}
