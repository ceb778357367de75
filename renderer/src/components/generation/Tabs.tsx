import { useUi, type CharacterTab } from '../../state/ui';
import '../../generation.css';

export const TABS: { id: CharacterTab; label: string }[] = [
  { id: 'profile', label: 'Profile' },
  { id: 'generate', label: 'Generate' },
  { id: 'dataset', label: 'Dataset' },
  { id: 'train', label: 'Train' },
  { id: 'chat', label: 'Chat' },
  { id: 'evaluate', label: 'Evaluate' },
];

/**
 * Profile | Generate | Dataset | Train | Chat | Evaluate: the path from a life to a trained model,
 * talking to it, and measuring it.
 */
export function Tabs() {
  const tab = useUi((s) => s.characterTab);
  const setTab = useUi((s) => s.setCharacterTab);
  return (
    <div className="tabs" role="tablist" aria-label="Character sections">
      {TABS.map((t) => (
        <button
          key={t.id}
          role="tab"
          aria-selected={tab === t.id}
          className={tab === t.id ? 'tab selected' : 'tab'}
          onClick={() => setTab(t.id)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
