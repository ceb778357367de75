/** First run: the studio's look, and sample characters to explore before spending anything. Types only. */

import type { CharacterId } from './base';

/** `system` follows the operating system's light or dark preference, and its changes. */
export type Theme = 'system' | 'light' | 'dark';

export interface Appearance {
  theme: Theme;
}

/** A character shipped with the studio (resources/samples), written by the studio's authors. */
export interface SampleCharacter {
  id: string;
  fullName: string;
  shortName: string;
  era: string;
  summary: string;
  /** SPDX id of the sample's text. */
  licence: string;
  /** The character it was loaded as, when it is in the studio now; null when not loaded. */
  loadedAs: CharacterId | null;
}

export interface SampleLoaded {
  characterId: CharacterId;
  chunks: number;
  scenes: number;
  protective: number;
}

export interface OnboardingCommands {
  'appearance/get': (arg: Record<string, never>) => Appearance;
  /** Persisted in the studio (every window and door shares it); emits `appearance/changed`. */
  'appearance/set': (arg: Appearance) => Appearance;
  'samples/list': (arg: Record<string, never>) => SampleCharacter[];
  /**
   * Creates the sample's character, its profile and its scenes (each scene's provenance names the
   * sample's file and item), all or nothing. Refused with `conflict` when a character of that name exists.
   */
  'samples/load': (arg: { id: string }) => SampleLoaded;
}

export interface OnboardingEvents {
  'appearance/changed': Appearance;
}
