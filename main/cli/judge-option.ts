import type { CharacterId, JudgeRequest, Provider } from '../../common/contract';
import { UsageError, type CliContext } from './shared';

/**
 * `--judge <provider>[/<model>]`, the one form `judge` and `report` both take: a provider's name
 * or id (case aside), then the model (which may hold slashes itself:
 * `OpenRouter/meta-llama/llama-3.1-70b-instruct`). Without a model, the provider's own model.
 */
interface NamedJudge {
  provider: Provider;
  /** The model after the slash; null when only the provider is named. */
  model: string | null;
}

function named(providers: readonly Provider[], text: string): NamedJudge | null {
  const match = (key: string) =>
    providers.find((p) => p.id === key.trim() || p.name.toLowerCase() === key.trim().toLowerCase());
  const whole = match(text);
  if (whole) return { provider: whole, model: null };
  const slash = text.indexOf('/');
  const provider = slash > 0 ? match(text.slice(0, slash)) : undefined;
  const model = text.slice(slash + 1).trim();
  return provider && model !== '' ? { provider, model } : null;
}

const providerNames = (providers: readonly Provider[]) =>
  providers.map((p) => `"${p.name}"`).join(', ') || 'none (add one with providers add)';

/** `judge --judge`: the provider to ask, and its model unless the provider's own. */
export async function judgeToAsk(
  call: CliContext['call'],
  text: string | undefined,
): Promise<Pick<JudgeRequest, 'providerId' | 'model'>> {
  if (text === undefined) return {};
  const providers = await call('providers/list', {});
  const judge = named(providers, text);
  if (!judge)
    throw new UsageError(
      `--judge "${text}": name a provider, optionally with a model (<provider>/<model>). Providers: ${providerNames(providers)}.`,
    );
  return { providerId: judge.provider.id, ...(judge.model !== null && { model: judge.model }) };
}

/**
 * `report --judge`: the judge model whose verdicts the report reads. `<provider>[/<model>]` as
 * `judge` takes it; the older bare `<model>` (a model that judged this character) is still read
 * when it names no other judge. Refused, saying which, when the text names no model that judged
 * the character, or two different ones.
 */
export async function judgeModelOf(call: CliContext['call'], characterId: CharacterId, text: string): Promise<string> {
  const judges = [...new Set((await call('eval/judgments/summary', { characterId })).map((m) => m.model))].sort();
  const listed = judges.map((m) => `"${m}"`).join(', ') || 'none yet (run judge first)';
  const providers = await call('providers/list', {});
  const judge = named(providers, text);
  const viaProvider = judge ? (judge.model ?? judge.provider.model) : null;
  const bare = judges.find((m) => m === text.trim()) ?? null;
  const found = [...new Set([viaProvider, bare])].filter((m): m is string => m !== null && judges.includes(m));
  if (found.length === 1) return found[0]!;
  if (found.length > 1)
    throw new UsageError(
      `--judge "${text}" names two judges: the model "${bare}", and provider "${judge!.provider.name}" with model "${viaProvider}". Write <provider>/<model> with the provider that judged: "${judge!.provider.name}/${viaProvider}" or "<provider>/${bare}".`,
    );
  if (judge)
    throw new UsageError(
      `--judge "${text}": ${judge.provider.name}'s model "${viaProvider}" has judged no answer of this character. Judges: ${listed}.`,
    );
  throw new UsageError(
    `--judge "${text}": name the judge as <provider>[/<model>] (providers: ${providerNames(providers)}), or a model that judged. Judges: ${listed}.`,
  );
}
