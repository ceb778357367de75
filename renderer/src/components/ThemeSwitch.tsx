import type { Theme } from '../../../common/contract';
import { useCommand } from '../lib/queries';
import type { AppliedTheme } from '../lib/theme';

/** The header's one-click switch: to the other theme of the one shown (a fixed choice from then on). */
export function ThemeToggle({ applied }: { applied: AppliedTheme }) {
  const setAppearance = useCommand('appearance/set');
  const next = applied === 'dark' ? 'light' : 'dark';
  return (
    <button
      className="ghost theme-toggle"
      aria-label={`Switch to the ${next} theme`}
      title={`Switch to the ${next} theme (Settings › Appearance can follow the system again)`}
      onClick={() => setAppearance.mutate({ theme: next })}
    >
      <span aria-hidden="true">{applied === 'dark' ? '☀' : '☾'}</span>
    </button>
  );
}

const CHOICES: { value: Theme; label: string; hint: string }[] = [
  { value: 'system', label: 'System', hint: 'Light or dark as the operating system is set, following its changes' },
  { value: 'light', label: 'Light', hint: 'Always light' },
  { value: 'dark', label: 'Dark', hint: 'Always dark' },
];

/** Settings › Appearance: the three choices. */
export function ThemeChoice({ choice }: { choice: Theme }) {
  const setAppearance = useCommand('appearance/set');
  return (
    <div className="theme-choice" role="radiogroup" aria-label="Theme">
      {CHOICES.map((option) => (
        <label
          key={option.value}
          className={option.value === choice ? 'choice selected' : 'choice'}
          title={option.hint}
        >
          <input
            type="radio"
            name="theme"
            value={option.value}
            checked={option.value === choice}
            onChange={() => setAppearance.mutate({ theme: option.value })}
          />
          {option.label}
        </label>
      ))}
    </div>
  );
}
