import type { ImportProvenance, LlmCall, Scene } from './contract';
import { formatUsd } from './money';

/** Where an imported scene came from, for a person: "from data.jsonl, line 12 (seed_dialogue_3)". */
export function importedFromText(p: ImportProvenance): string {
  // The paper's generated files are JSON lists: their items are numbered, not their lines.
  const where = p.format === 'paper-dialogue' || p.format === 'paper-scenes' ? 'item' : 'line';
  return `from ${p.file}, ${where} ${p.line}${p.source ? ` (${p.source})` : ''}`;
}

/**
 * Where a scene came from, for a person: who or what wrote it (for generated scenes, the prompt
 * versions). `imported` is an imported scene's file and line (on its first revision), when known.
 */
export function sceneOriginText(
  scene: Pick<Scene, 'origin' | 'promptVersion' | 'experience'>,
  imported: ImportProvenance | null | undefined,
): string {
  switch (scene.origin) {
    case 'hand':
      return 'Written by hand';
    case 'chat':
      return 'Chat correction: a reply rewritten in the Chat tab';
    case 'import':
      return `Imported ${imported ? importedFromText(imported) : 'from a dataset file'}`;
    case 'generated':
      return `Scene prompt ${scene.promptVersion}${scene.experience ? ` · experience prompt ${scene.experience.promptVersion}` : ''}`;
  }
}

/** An LLM's answer that is JSON, indented for reading; null when it is not JSON. */
export function indentedJson(text: string): string | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return null;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return null;
  }
}

/**
 * The kind of endpoint a call went to, for a person: "OpenAI-compatible (custom)", "embedded model
 * (in the studio)"; an unknown kind as it was recorded.
 */
export function callEndpointText(call: Pick<LlmCall, 'provider'>): string {
  if (call.provider === 'embedded') return 'embedded model (in the studio)';
  const preset = /^openai-compatible:(.+)$/.exec(call.provider)?.[1];
  return preset ? `OpenAI-compatible (${preset})` : call.provider;
}

/** Which provider answered, for a person: "Fake · OpenAI-compatible (custom)", or the kind alone when its name is not on record. */
export function callProviderText(call: Pick<LlmCall, 'provider' | 'providerLabel'>): string {
  return call.providerLabel ? `${call.providerLabel} · ${callEndpointText(call)}` : callEndpointText(call);
}

/** A call's tokens as the provenance shows them: "212 in · 241 out", or "—" when none were counted. */
export function callTokensText(call: LlmCall): string {
  return call.promptTokens === null && call.completionTokens === null
    ? '—'
    : `${call.promptTokens ?? '?'} in · ${call.completionTokens ?? '?'} out`;
}

/** A call's cost as the provenance shows it, saying why when it is not known. */
export function callCostText(call: LlmCall): string {
  if (call.status === 'interrupted') return 'unknown (interrupted)';
  if (call.status === 'in_flight') return 'waiting for the answer';
  return call.costUsd === null ? '—' : formatUsd(call.costUsd);
}
