import type { Character, SceneId } from '../../common/contract';
import type { Studio } from '../../main/core/studio';
import { SceneEditorPanel } from '../../renderer/src/components/dataset/SceneEditorPanel';
import { settleIn } from './dom';
import { renderWithQueries } from './render';
import { generatedLessonWithExperience } from './scenes';
import { call } from './studio';

/** What a test hears from the editor: its Close and the scenes it created (a save as new). */
export interface EditorHandlers {
  onClose?: () => void;
  onCreated?: (id: SceneId) => void;
}

/** The editor's field labelled `label` in `container`, or null. */
export function editorField(container: HTMLElement, label: string): HTMLInputElement | HTMLTextAreaElement | null {
  return container.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[aria-label="${label}"]`);
}

/**
 * The scene editor (renderer connected to `studio` already: connectRenderer) opened on a generated
 * lesson with its experience, once its fields are there.
 */
export async function openEditorOnLesson(
  studio: Studio,
  handlers: EditorHandlers = {},
): Promise<{ id: SceneId; character: Character; page: { container: HTMLElement; unmount: () => void } }> {
  const lesson = await generatedLessonWithExperience(studio);
  const character = await call(studio, 'characters/get', { id: lesson.characterId });
  const page = renderWithQueries(
    <SceneEditorPanel
      target={{ kind: 'edit', id: lesson.id }}
      character={character}
      onClose={() => handlers.onClose?.()}
      onCreated={(scene) => handlers.onCreated?.(scene)}
      onDelete={() => undefined}
      onDuplicated={() => undefined}
    />,
  );
  await settleIn(page.container, () => editorField(page.container, 'Location') !== null, 'the editor');
  return { id: lesson.id, character, page };
}
