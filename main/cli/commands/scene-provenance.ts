import type { CallId, LlmCall, Scene, SceneId } from '../../../common/contract';
import {
  callCostText,
  callProviderText,
  callTokensText,
  indentedJson,
  sceneOriginText,
} from '../../../common/provenance';
import { UsageError, type CliContext } from '../shared';

/** Which of a scene's calls `scenes provenance` shows: `--scene-call`, `--experience-call`, or both. */
type Which = 'scene' | 'experience' | 'both';

/**
 * `scenes provenance <scene>`: where a scene came from, as the Dataset tab's Provenance dialog shows
 * it: its origin, then every attempt of the LLM call that wrote the scene and of the one that wrote
 * its experience (provider, model, tokens, latency, cost, parameters, the prompt's messages and the
 * answer exactly as received; `--indent` indents an answer that is JSON). A protective scene is one
 * call for both. `--json`: `{ sceneId, origin, sceneCalls, experienceCalls }`, the calls as stored.
 */
export async function sceneProvenance(ctx: CliContext, id: SceneId): Promise<number> {
  const { call, values, print } = ctx;
  const which = whichCalls(values);
  const scene = await call('scenes/get', { id });
  // An imported scene's file and line are on its first revision.
  const imported =
    scene.origin === 'import'
      ? (await call('scenes/revisions', { id })).find((r) => r.importedFrom)?.importedFrom
      : undefined;
  const sceneCallId = which === 'experience' ? null : scene.callId;
  const experienceCallId = which === 'scene' ? null : (scene.experience?.callId ?? null);
  const oneCall = scene.callId !== null && scene.callId === scene.experience?.callId;
  const calls = async (callId: CallId | null) => (callId === null ? [] : call('calls/get', { id: callId }));
  const sceneCalls = await calls(sceneCallId);
  const experienceCalls = oneCall && which === 'both' ? sceneCalls : await calls(experienceCallId);
  const origin = `${sceneOriginText(scene, imported)} · made ${new Date(scene.createdAt).toLocaleString()}`;
  print({ sceneId: id, origin, sceneCalls, experienceCalls }, () =>
    [
      `${scene.type} · ${scene.location}`,
      origin,
      ...(oneCall && which === 'both'
        ? [section('Scene and experience (one call)', scene.callId, sceneCalls, values)]
        : [
            ...(which === 'experience' ? [] : [section('Scene call', scene.callId, sceneCalls, values)]),
            ...(which === 'scene'
              ? []
              : [
                  section(
                    'Experience call',
                    scene.experience ? scene.experience.callId : null,
                    experienceCalls,
                    values,
                    scene,
                  ),
                ]),
          ]),
    ].join('\n'),
  );
  return 0;
}

function whichCalls(values: CliContext['values']): Which {
  const sceneOnly = values['scene-call'] === true;
  const experienceOnly = values['experience-call'] === true;
  if (sceneOnly && experienceOnly) throw new UsageError('Give --scene-call or --experience-call, not both.');
  return sceneOnly ? 'scene' : experienceOnly ? 'experience' : 'both';
}

/** One call's section: a heading, then each attempt, or why there is none. */
function section(
  title: string,
  callId: CallId | null,
  calls: readonly LlmCall[],
  values: CliContext['values'],
  scene?: Scene,
): string {
  const head = `\n== ${title}${callId ? ` ${callId}` : ''} ==`;
  if (scene && !scene.experience) return `${head}\nNo experience yet: the experiences stage writes it.`;
  if (callId === null) return `${head}\nNo LLM call is on record for this part: it was written or imported by hand.`;
  if (calls.length === 0) return `${head}\nThe call log has no entry for this call.`;
  return [head, ...calls.map((c) => attempt(c, calls.length, values['indent'] === true))].join('\n');
}

function attempt(c: LlmCall, attempts: number, indent: boolean): string {
  const tokens = callTokensText(c);
  const cost = callCostText(c);
  const params = Object.entries(c.params).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [
    ...(attempts > 1 ? [`-- Attempt ${c.attempt} --`] : []),
    `Provider: ${callProviderText(c)} · model ${c.model} · started ${new Date(c.startedAt).toLocaleString()}`,
    `Tokens: ${tokens} · latency ${(c.latencyMs / 1000).toFixed(2)} s · cost ${cost} · finish ${c.finishReason ?? '—'}`,
    ...(params.length > 0 ? [`Parameters: ${params.join(' ')}`] : []),
    ...(c.error ? [`Error: ${c.error}`] : []),
    '',
    ...c.messages.flatMap((m) => [`[${m.role}]`, m.content, '']),
    '[response]',
    c.response === null ? '(no response)' : indent ? (indentedJson(c.response) ?? c.response) : c.response,
  ].join('\n');
}
