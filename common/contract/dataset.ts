/** The dataset: scenes, their experiences and statistics. Types only. */

import type { CallId, CharacterId, ChunkId, SceneId } from './base';

export type TurnKind = 'speaking' | 'thinking' | 'action';

export interface Turn {
  speaker: string;
  kind: TurnKind;
  text: string;
}

export interface Scene {
  id: SceneId;
  characterId: CharacterId;
  chunkId: ChunkId | null;
  protective: boolean;
  /** What the character is pressed about, for protective scenes. */
  limit: string | null;
  type: string;
  location: string;
  time: string;
  background: string;
  people: string[];
  callId: CallId | null;
  promptVersion: string;
  createdAt: number;
  experience: Experience | null;
}

export interface Experience {
  background: string;
  turns: Turn[];
  callId: CallId | null;
  promptVersion: string;
}

export interface DatasetStats {
  scenes: number;
  protectiveScenes: number;
  experiences: number;
  turns: number;
  words: number;
}

export interface DatasetCommands {
  'scenes/list': (arg: { characterId: CharacterId; offset: number; limit: number; protective?: boolean }) => {
    total: number;
    scenes: Scene[];
  };
  'scenes/get': (arg: { id: SceneId }) => Scene;
  'dataset/stats': (arg: { characterId: CharacterId }) => DatasetStats;
}

export interface DatasetEvents {
  'dataset/changed': { characterId: CharacterId };
}
