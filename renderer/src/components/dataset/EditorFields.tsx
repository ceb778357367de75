import { useEffect, useState } from 'react';
import type { SceneDoc } from '../../../../common/contract';
import type { SceneEditor } from '../../../../common/scene-doc/editor';
import type { SceneTextField } from '../../../../common/scene-doc/operations';

const SHORTCUTS: readonly [string, string][] = [
  ['Ctrl+Z', 'Undo'],
  ['Ctrl+Shift+Z / Ctrl+Y', 'Redo'],
  ['Ctrl+S', 'Save'],
  ['Ctrl+Enter', 'Split the turn at the cursor'],
  ['Ctrl+J', 'Merge with the next turn'],
  ['Alt+Enter', 'Insert a turn after'],
  ['Alt+↑ / Alt+↓', 'Move the turn'],
  ['Ctrl+Shift+Backspace', 'Delete the turn'],
  ['Alt+R', 'Regenerate the turn with an instruction'],
  ['Esc', 'Close (asks first when edits are not saved)'],
];

/** The editor's left column: the scene's fields (each typing run one undo step) and the shortcuts. */
export function EditorFields({ editor, doc }: { editor: SceneEditor; doc: SceneDoc }) {
  const field = (name: SceneTextField, label: string, multiline = false) => {
    const props = {
      'aria-label': label,
      value: doc[name],
      onChange: (event: { currentTarget: { value: string } }) =>
        editor.apply({ kind: 'set-field', field: name, value: event.currentTarget.value }),
      onBlur: () => editor.seal(),
    };
    return (
      <label className="editor-field">
        <span>{label}</span>
        {multiline ? <textarea rows={4} {...props} /> : <input {...props} />}
      </label>
    );
  };
  return (
    <section className="editor-fields" aria-label="Scene fields">
      {field('type', 'Type')}
      {field('location', 'Location')}
      {field('time', 'Time')}
      <PeopleField
        people={doc.people}
        onChange={(people) => editor.apply({ kind: 'set-people', people })}
        onBlur={() => editor.seal()}
      />
      {field('background', 'Background', true)}
      {field('experienceBackground', 'Experience background', true)}
      <details className="shortcuts">
        <summary>Keyboard shortcuts</summary>
        <dl>
          {SHORTCUTS.map(([keys, what]) => (
            <div key={keys}>
              <dt>
                <kbd>{keys}</kbd>
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
      </details>
    </section>
  );
}

/** People as a comma-separated line; the list changes as it is typed, the text keeps the person's spacing. */
function PeopleField({
  people,
  onChange,
  onBlur,
}: {
  people: readonly string[];
  onChange: (people: string[]) => void;
  onBlur: () => void;
}) {
  const parse = (text: string) =>
    text
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  const [text, setText] = useState(people.join(', '));
  // An undo or a reload changes the list under the text: show the list again.
  useEffect(() => {
    setText((current) => (JSON.stringify(parse(current)) === JSON.stringify(people) ? current : people.join(', ')));
  }, [people]);
  return (
    <label className="editor-field">
      <span>People (comma-separated)</span>
      <input
        aria-label="People"
        value={text}
        onChange={(event) => {
          setText(event.currentTarget.value);
          onChange(parse(event.currentTarget.value));
        }}
        onBlur={onBlur}
      />
    </label>
  );
}
