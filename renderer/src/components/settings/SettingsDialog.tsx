import { useRef, useState } from 'react';
import type { Provider } from '../../../../common/contract';
import { useAppearance, useProviders } from '../../lib/queries';
import { ThemeChoice } from '../ThemeSwitch';
import { useUi } from '../../state/ui';
import { Modal } from '../Modal';
import { DatabasePanel } from './DatabasePanel';
import { HostsPanel } from './HostsPanel';
import { ModelsPanel } from './ModelsPanel';
import { PriceTable } from './PriceTable';
import { ProviderCard } from './ProviderCard';
import { ProviderForm } from './ProviderForm';
import { SettingsSection } from './SettingsSection';
import '../../generation.css';

type Editing = { kind: 'none' } | { kind: 'new' } | { kind: 'edit'; provider: Provider };

/**
 * Studio-wide settings: the LLM providers that generate data, the SSH hosts that train, what
 * models cost, the theme, and the database's integrity check.
 */
export function SettingsDialog() {
  const openSettings = useUi((s) => s.openSettings);
  const providers = useProviders();
  const [editing, setEditing] = useState<Editing>({ kind: 'none' });
  const theme = useAppearance().data?.theme ?? 'system';
  // The dialog's scrolling body. A closed provider form returns it to the top, where the providers
  // are: the form was tall, and with it gone the scroll fell on Models, away from the provider just
  // added or saved.
  const body = useRef<HTMLDivElement>(null);

  return (
    <Modal title="Settings" onClose={() => openSettings(false)} wide>
      <div className="settings" ref={body}>
        <SettingsSection
          title="Providers"
          description="The LLMs that imagine scenes and experiences: a model file on this machine, a local server (Ollama, LM Studio, llama.cpp, vLLM) or a hosted API."
          action={
            editing.kind === 'none' && (
              <button className="primary" onClick={() => setEditing({ kind: 'new' })}>
                + Add provider
              </button>
            )
          }
        >
          {editing.kind !== 'none' && (
            <ProviderForm
              key={editing.kind === 'edit' ? editing.provider.id : 'new'}
              existing={editing.kind === 'edit' ? editing.provider : null}
              onDone={() => {
                setEditing({ kind: 'none' });
                if (body.current) body.current.scrollTop = 0;
              }}
            />
          )}
          {providers.isPending ? (
            <p className="muted">Loading…</p>
          ) : providers.isError ? (
            <p className="form-error">{providers.error.message}</p>
          ) : providers.data.length === 0 ? (
            editing.kind === 'none' && (
              <div className="empty small">
                <h3>No provider yet</h3>
                <p>Add one to generate scenes: pick a preset, a model, and test the connection.</p>
              </div>
            )
          ) : (
            <ul className="provider-list">
              {providers.data.map((p) => (
                <ProviderCard
                  key={p.id}
                  provider={p}
                  editing={editing.kind === 'edit' && editing.provider.id === p.id}
                  onEdit={() => setEditing({ kind: 'edit', provider: p })}
                />
              ))}
            </ul>
          )}
        </SettingsSection>
        <ModelsPanel />
        <HostsPanel />
        <SettingsSection
          title="Model prices"
          description="US dollars per million tokens, for estimates, costs and budgets. Ollama, LM Studio, llama.cpp, vLLM and the embedded model cost nothing; OpenAI, OpenRouter and custom endpoints are priced by model id."
        >
          <PriceTable />
        </SettingsSection>
        <SettingsSection
          title="Appearance"
          description="Light or dark, or as the operating system is set. The choice is kept by the studio, for every window."
        >
          <ThemeChoice choice={theme} />
        </SettingsSection>
        <DatabasePanel />
      </div>
    </Modal>
  );
}
