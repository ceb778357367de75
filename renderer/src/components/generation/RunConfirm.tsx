import { useState } from 'react';
import type { Character } from '../../../../common/contract';
import { queryClient, useCommand } from '../../lib/queries';

/**
 * The cost above which starting a run asks first ($1 unless set). Studio-wide and kept in the
 * store, so the CLI asks at the same amount; saved when the field is left. The field holds the
 * user's text while they type; the parent keys it by the stored value, so a change saved elsewhere
 * (another window, the CLI) starts it afresh.
 */
export function ConfirmThreshold({ value }: { value: number }) {
  const save = useCommand('generation/set-preferences');
  const [text, setText] = useState(String(value));
  const amount = Number(text);
  const valid = text.trim() !== '' && Number.isFinite(amount) && amount >= 0;
  const onBlur = () => {
    if (!valid || amount === value) return;
    save.mutate(
      { confirmAboveUsd: amount },
      { onSuccess: (prefs) => queryClient.setQueryData(['generation/preferences', {}], prefs) },
    );
  };
  return (
    <label>
      Ask before runs over ($)
      <input
        type="number"
        min={0}
        step={0.5}
        value={text}
        aria-invalid={!valid}
        onChange={(e) => setText(e.target.value)}
        onBlur={onBlur}
      />
      {valid ? (
        <small>A run estimated above this asks before it starts.</small>
      ) : (
        <small className="field-error">Enter an amount of $0 or more.</small>
      )}
    </label>
  );
}

/** Shown when the target is met: the scenes the character has, and how many more to make. */
export function MoreScenes({
  character,
  existing,
  text,
  valid,
  onChange,
}: {
  character: Character;
  existing: number;
  text: string;
  valid: boolean;
  onChange: (text: string) => void;
}) {
  return (
    <div className="more-scenes" role="group" aria-label="Generate more">
      <p>
        <strong>Target met.</strong> {character.shortName} has {existing.toLocaleString('en-US')} normal scenes
        (protective ones aside), each with its experience. Raise the target, or add more:
      </p>
      <label>
        More scenes
        <input
          type="number"
          min={1}
          step={10}
          value={text}
          aria-invalid={!valid}
          onChange={(e) => onChange(e.target.value)}
        />
      </label>
      {!valid && <small className="field-error">A whole number from 1 to 20,000.</small>}
    </div>
  );
}
