import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type {
  Character,
  CommandArg,
  CommandName,
  CommandResult,
  GenerationSettings,
  Host,
  HostCheck,
  Job,
  Profile,
  Provider,
  TrainingConfig,
  TrainingRun,
} from '../../common/contract';
import { resolveDataDir } from '../core/data-dir';
import { StudioFailure } from '../core/errors';
import { Studio } from '../core/studio';
import { STUDIO_VERSION } from '../core/version';
import { WebServer } from '../server/web-server';

/**
 * `character-studio`: the headless door. Human output by default; `--json` writes
 * machine-readable results to stdout. Progress and messages go to stderr.
 * Exit codes: 0 done, 1 the command failed, 2 bad usage.
 */

const USAGE = `Character Studio ${STUDIO_VERSION}

Usage: character-studio <command> [options]

Commands:
  serve                         Run the studio as a local web app (prints its address)
      --host <addr>             Interface to bind (default 127.0.0.1)
      --port <n>                Port (default 5757; 0 picks a free one)
  info                          Show the version and where data lives
  characters list               List characters
  characters create             Create a character
      --full-name <name> --short-name <name> [--era <text>] [--notes <text>]
  characters update <character> Change a character (same options as create)
  characters delete <character> Delete a character and everything made from it
  profiles import <character> <file.txt|file.md|->
                                Add a profile from a file or standard input ('-')
      [--title <title>]
  profiles show <character>     Show a character's profiles and chunks
  providers list                List LLM providers
  providers add                 Add a provider
      --name <name> --preset <openai|ollama|lmstudio|llamacpp|vllm|openrouter|custom|embedded>
      [--base-url <url>] [--model <id>] [--model-path <file.gguf>] [--api-key <key|env:NAME>]
      [--concurrency <n>] [--rpm <n>] [--timeout-ms <n>] [--text-output]
  providers test <provider>     Check the connection and list the models
  generate <character>          Build scenes, experiences and protective experiences
      --provider <provider> [--target <scenes>] [--per-call <n>] [--protective <share 0-0.2>]
      [--temperature <t>] [--top-p <p>] [--max-tokens <n>] [--budget <usd>] [--estimate]
                                Resumes the character's unfinished job if there is one.
                                Progress goes to stderr; Ctrl+C pauses (run again to resume).
  hosts list                    List SSH hosts for remote training
  hosts add                     Add an SSH host (a GPU server)
      --name <name> --host <addr> --user <name> [--port <n>] [--key <private key file>]
      [--python <remote interpreter>] [--remote-root <dir>] [--gpus <n>]
                                Without --key the SSH agent logs in (keys with a passphrase: use the agent).
  hosts test <host>             Log in and check the trainer there; shows the host key to trust
  hosts trust <host> --fingerprint <SHA256:…>
                                Trust the host's key, only if it still has that fingerprint
  hosts delete <host>           Remove an SSH host
  train <character>             Fine-tune a model on the character's scenes (LoRA by default)
      --base-model <hf-id|folder> [--format chat|character-llm] [--python <interpreter>]
      [--host <ssh host>]       Train on an SSH host (see hosts add) instead of this machine
      [--epochs <n>] [--lr <rate>] [--rank <n>] [--batch <n>] [--max-length <tokens>]
      [--max-steps <n>] [--full] [--qlora] [--dtype auto|bf16|fp16|fp32]
      [--preset lora|trial|qlora|paper]  Start from a preset; the options above override it.
                                Resumes the character's stopped or interrupted run if there is one.
                                Ctrl+C saves a checkpoint and stops (run again to resume).
  chat-server <character> [--run <id>]
                                Serve the character's latest finished run over the OpenAI protocol
                                on 127.0.0.1 for chat apps; prints the base URL and model. Ctrl+C stops.
  doctor [--python <interpreter>]  Check the trainer's Python environment

Options for every command:
  --data-dir <dir>              Data folder (default: CHARACTER_STUDIO_HOME or the desktop app's folder)
  --json                        Machine-readable output on stdout
  -h, --help                    Show this help

<character> is an id, a full name or a short name.`;

class UsageError extends Error {}

/** The checkout (or installed package) root: two levels above both main/cli/ and dist/main/. */
const APP_ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  stdin: () => Promise<Buffer>;
}

const defaultIo: Io = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
};

export async function runCli(argv: string[], io: Io = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        host: { type: 'string' },
        port: { type: 'string' },
        'full-name': { type: 'string' },
        'short-name': { type: 'string' },
        era: { type: 'string' },
        notes: { type: 'string' },
        title: { type: 'string' },
        name: { type: 'string' },
        preset: { type: 'string' },
        'base-url': { type: 'string' },
        model: { type: 'string' },
        'model-path': { type: 'string' },
        'api-key': { type: 'string' },
        concurrency: { type: 'string' },
        rpm: { type: 'string' },
        'timeout-ms': { type: 'string' },
        'text-output': { type: 'boolean', default: false },
        provider: { type: 'string' },
        target: { type: 'string' },
        'per-call': { type: 'string' },
        protective: { type: 'string' },
        temperature: { type: 'string' },
        'top-p': { type: 'string' },
        'max-tokens': { type: 'string' },
        budget: { type: 'string' },
        estimate: { type: 'boolean', default: false },
        'base-model': { type: 'string' },
        format: { type: 'string' },
        python: { type: 'string' },
        epochs: { type: 'string' },
        lr: { type: 'string' },
        rank: { type: 'string' },
        batch: { type: 'string' },
        'max-length': { type: 'string' },
        'max-steps': { type: 'string' },
        full: { type: 'boolean', default: false },
        qlora: { type: 'boolean', default: false },
        dtype: { type: 'string' },
        run: { type: 'string' },
        user: { type: 'string' },
        key: { type: 'string' },
        'remote-root': { type: 'string' },
        gpus: { type: 'string' },
        fingerprint: { type: 'string' },
      },
    });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\nRun character-studio --help for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    io.out(USAGE);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const [command, ...rest] = positionals;
  const dataDir = resolveDataDir(values['data-dir']);
  if (command === 'serve') return serve(dataDir, values.host, values.port, values.json, io);

  let studio: Studio | null = null;
  try {
    studio = new Studio({ dataDir, door: 'cli', version: STUDIO_VERSION, appRoot: APP_ROOT });
    const call = async <K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>> => {
      const outcome = await studio!.invoke(name, arg);
      if (!outcome.ok) throw new StudioFailure(outcome.error.code, outcome.error.message);
      return outcome.result as CommandResult<K>;
    };
    const print = (value: unknown, human: () => string) =>
      io.out(values.json ? JSON.stringify(value, null, 2) : human());
    const draft = {
      ...(values['full-name'] !== undefined && { fullName: values['full-name'] }),
      ...(values['short-name'] !== undefined && { shortName: values['short-name'] }),
      ...(values.era !== undefined && { era: values.era }),
      ...(values.notes !== undefined && { notes: values.notes }),
    };
    const sub = ['generate', 'train', 'doctor', 'chat-server'].includes(command ?? '')
      ? command!
      : `${command} ${rest[0] ?? ''}`.trim();
    switch (sub) {
      case 'info': {
        const info = await call('app/info', {});
        print(
          info,
          () => `Character Studio ${info.version}\nData folder: ${info.dataDir}\nDatabase: ${info.databasePath}`,
        );
        return 0;
      }
      case 'characters list': {
        const list = await call('characters/list', {});
        print(list, () => (list.length === 0 ? 'No characters yet.' : list.map(describeCharacter).join('\n')));
        return 0;
      }
      case 'characters create': {
        const created = await call('characters/create', {
          fullName: draft.fullName ?? '',
          shortName: draft.shortName ?? '',
          era: draft.era ?? '',
          notes: draft.notes ?? '',
        });
        print(created, () => `Created ${describeCharacter(created)}`);
        return 0;
      }
      case 'characters update': {
        const character = await findCharacter(call, argument(rest, 1, '<character>'));
        const updated = await call('characters/update', { id: character.id, ...draft });
        print(updated, () => `Updated ${describeCharacter(updated)}`);
        return 0;
      }
      case 'characters delete': {
        const character = await findCharacter(call, argument(rest, 1, '<character>'));
        const result = await call('characters/delete', { id: character.id });
        print(result, () => `Deleted ${character.fullName}.`);
        return 0;
      }
      case 'profiles import': {
        const character = await findCharacter(call, argument(rest, 1, '<character>'));
        const file = argument(rest, 2, '<file>');
        const bytes = file === '-' ? await io.stdin() : readFile(file);
        const profile = await call('profiles/import', {
          characterId: character.id,
          fileBase64: bytes.toString('base64'),
          fileName: file === '-' ? 'stdin.txt' : path.basename(file),
          ...(values.title !== undefined && { title: values.title }),
        });
        print(
          profile,
          () =>
            `Imported "${profile.title}" (${profile.format}): ${profile.chunks.length} chunks, ${profile.words} words.`,
        );
        return 0;
      }
      case 'profiles show': {
        const character = await findCharacter(call, argument(rest, 1, '<character>'));
        const profiles = await call('profiles/list', { characterId: character.id });
        print(profiles, () => describeProfiles(character, profiles));
        return 0;
      }
      case 'providers list': {
        const list = await call('providers/list', {});
        print(list, () =>
          list.length === 0
            ? 'No providers yet. Add one with: character-studio providers add'
            : list
                .map(
                  (p) =>
                    `${p.name} — ${p.preset}, ${p.kind === 'embedded' ? p.modelPath : `${p.model} at ${p.baseUrl}`}  [${p.id}]`,
                )
                .join('\n'),
        );
        return 0;
      }
      case 'providers add': {
        const preset = (values.preset ?? 'custom') as Provider['preset'];
        const created = await call('providers/create', {
          name: values.name ?? '',
          preset,
          baseUrl: values['base-url'] ?? '',
          model: values.model ?? '',
          modelPath: values['model-path'] ?? '',
          ...(values['api-key'] !== undefined && { apiKey: values['api-key'] }),
          maxConcurrency: numberOption(values.concurrency, '--concurrency', preset === 'embedded' ? 1 : 4),
          requestsPerMinute: numberOption(values.rpm, '--rpm', 0),
          timeoutMs: numberOption(values['timeout-ms'], '--timeout-ms', 180_000),
          structuredOutput: !values['text-output'],
        });
        print(created, () => `Added provider ${created.name} [${created.id}]`);
        return 0;
      }
      case 'providers test': {
        const provider = await findProvider(call, argument(rest, 1, '<provider>'));
        const check = await call('providers/test', { id: provider.id });
        print(check, () =>
          [check.summary, ...check.steps.map((s) => `  ${s.ok ? '✓' : '✗'} ${s.name}: ${s.message}`)].join('\n'),
        );
        return check.ok ? 0 : 1;
      }
      case 'hosts list': {
        const list = await call('hosts/list', {});
        print(list, () =>
          list.length === 0
            ? 'No SSH hosts yet. Add one with: character-studio hosts add'
            : list.map(describeHost).join('\n'),
        );
        return 0;
      }
      case 'hosts add': {
        const created = await call('hosts/save', {
          name: values.name ?? '',
          host: values.host ?? '',
          port: numberOption(values.port, '--port', 22),
          username: values.user ?? '',
          privateKeyPath: values.key ? path.resolve(values.key) : '',
          python: values.python ?? 'python3',
          remoteRoot: values['remote-root'] ?? '.character-studio',
          gpuCount: numberOption(values.gpus, '--gpus', 1),
        });
        print(created, () => `Added host ${describeHost(created)}\nNext: character-studio hosts test ${created.name}`);
        return 0;
      }
      case 'hosts test': {
        const host = await findHost(call, argument(rest, 1, '<host>'));
        const check = await call('hosts/test', { id: host.id });
        print(check, () => describeCheck(host, check));
        return check.ok ? 0 : 1;
      }
      case 'hosts trust': {
        const host = await findHost(call, argument(rest, 1, '<host>'));
        if (!values.fingerprint) {
          const check = await call('hosts/test', { id: host.id });
          if (!check.needsTrust) {
            print(check, () => describeCheck(host, check));
            return check.ok ? 0 : 1;
          }
          throw new UsageError(
            `Missing --fingerprint. ${host.name} presents ${check.fingerprint}; check it with the server's administrator (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server), then run:\n  character-studio hosts trust ${host.name} --fingerprint ${check.fingerprint}`,
          );
        }
        const check = await call('hosts/trust', { id: host.id, fingerprint: values.fingerprint });
        print(check, () => `Trusted ${check.fingerprint} for ${host.name}.\n${describeCheck(host, check)}`);
        return check.ok ? 0 : 1;
      }
      case 'hosts delete': {
        const host = await findHost(call, argument(rest, 1, '<host>'));
        const result = await call('hosts/delete', { id: host.id });
        print(result, () => `Deleted host ${host.name}.`);
        return 0;
      }
      case 'generate': {
        const character = await findCharacter(call, argument(rest, 0, '<character>', 'generate'));
        return await generate(studio, call, character, values, io);
      }
      case 'train': {
        const character = await findCharacter(call, argument(rest, 0, '<character>', 'train'));
        return await train(studio, call, character, values, io);
      }
      case 'chat-server': {
        const character = await findCharacter(call, argument(rest, 0, '<character>', 'chat-server'));
        return await chatServer(studio, call, character, values, io);
      }
      case 'doctor': {
        const report = await call('training/doctor', { python: values.python ?? '' });
        print(report, () => `${report.ok ? '✓' : '✗'} ${report.python}: ${report.summary}`);
        return report.ok ? 0 : 1;
      }
      default:
        throw new UsageError(`Unknown command "${sub}".`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\nRun character-studio --help for usage.`);
      return 2;
    }
    if (error instanceof StudioFailure) {
      io.err(`Error: ${error.message}`);
      if (values.json) io.out(JSON.stringify({ error: error.toJSON() }));
      return 1;
    }
    io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    studio?.close();
  }
}

function argument(rest: string[], index: number, name: string, command?: string): string {
  const value = rest[index];
  if (value === undefined) throw new UsageError(`Missing ${name}${command ? ` for ${command}` : ''}.`);
  return value;
}

function numberOption(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`${flag} must be a number, not "${text}".`);
  return value;
}

type Call = <K extends CommandName>(name: K, arg: CommandArg<K>) => Promise<CommandResult<K>>;

async function findHost(call: Call, key: string): Promise<Host> {
  const list = await call('hosts/list', {});
  const found = list.find((h) => h.id === key || h.name.toLowerCase() === key.toLowerCase());
  if (!found) throw new StudioFailure('not_found', `No SSH host "${key}". See them with: character-studio hosts list`);
  return found;
}

function describeHost(h: Host): string {
  const login = h.privateKeyPath ? `key ${h.privateKeyPath}` : 'SSH agent';
  return `${h.name} — ${h.username}@${h.host}:${h.port}, ${login}, python ${h.python}, root ${h.remoteRoot}, ${h.gpuCount} GPU(s)  [${h.id}]`;
}

function describeCheck(host: Host, check: HostCheck): string {
  const lines = [`${check.ok ? '✓' : '✗'} ${check.summary}`];
  if (check.fingerprint) lines.push(`  host key: ${check.fingerprint}`);
  if (check.needsTrust)
    lines.push(
      `  Trust it (after checking it with the server's administrator): character-studio hosts trust ${host.name} --fingerprint ${check.fingerprint}`,
    );
  if (check.doctor && !check.doctor.ok) lines.push(`  trainer: ${check.doctor.summary}`);
  return lines.join('\n');
}

async function findProvider(call: Call, key: string): Promise<Provider> {
  const list = await call('providers/list', {});
  const found = list.find((p) => p.id === key || p.name.toLowerCase() === key.toLowerCase());
  if (!found)
    throw new StudioFailure('not_found', `No provider "${key}". See them with: character-studio providers list`);
  return found;
}

type Values = Record<string, string | boolean | undefined>;

async function generate(studio: Studio, call: Call, character: Character, values: Values, io: Io): Promise<number> {
  const str = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
  const jobs = await call('jobs/list', { characterId: character.id });
  let job = jobs.find((j) => ['paused', 'interrupted', 'queued', 'running'].includes(j.status));
  if (job && !values.estimate) {
    io.err(`Resuming the ${job.status} job for ${character.fullName} (${job.done}/${job.total} done).`);
    job = await call('jobs/resume', { id: job.id });
  } else {
    const providerKey = str('provider');
    if (!providerKey) throw new UsageError('Missing --provider (see: character-studio providers list).');
    const provider = await findProvider(call, providerKey);
    const defaults = await call('generation/defaults', { characterId: character.id });
    const settings: GenerationSettings = {
      ...defaults,
      providerId: provider.id,
      targetScenes: numberOption(str('target'), '--target', defaults.targetScenes),
      scenesPerCall: numberOption(str('per-call'), '--per-call', defaults.scenesPerCall),
      protectiveShare: numberOption(str('protective'), '--protective', defaults.protectiveShare),
      temperature: numberOption(str('temperature'), '--temperature', defaults.temperature),
      topP: numberOption(str('top-p'), '--top-p', defaults.topP),
      maxTokens: numberOption(str('max-tokens'), '--max-tokens', defaults.maxTokens),
      budgetUsd: str('budget') === undefined ? null : numberOption(str('budget'), '--budget', 0),
    };
    const estimate = await call('generation/estimate', { characterId: character.id, settings });
    const cost = estimate.costUsd === null ? 'unknown cost' : `$${estimate.costUsd.toFixed(2)}`;
    io.err(
      `Estimate: ${estimate.calls} calls, ${estimate.promptTokens.toLocaleString('en')} prompt + ${estimate.completionTokens.toLocaleString('en')} completion tokens, ${cost}, about ${formatDuration(estimate.seconds)}.`,
    );
    for (const warning of estimate.warnings) io.err(`Warning: ${warning}`);
    if (values.estimate) {
      if (values.json) io.out(JSON.stringify(estimate, null, 2));
      return 0;
    }
    job = await call('generation/start', { characterId: character.id, settings });
  }
  const id = job.id;
  let last = '';
  const off = studio.events.subscribe((name, payload) => {
    if (name !== 'jobs/progressed') return;
    const j = payload as Job;
    if (j.id !== id) return;
    const line = describeJob(j);
    if (line !== last) io.err(line);
    last = line;
  });
  const interrupt = () => {
    io.err('Pausing… (run the same command again to resume)');
    void call('jobs/pause', { id }).catch(() => undefined);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const final = await studio.generation.whenIdle(id);
    io.err(describeJob(final));
    if (final.message) io.err(final.message);
    if (values.json) io.out(JSON.stringify(final, null, 2));
    return final.status === 'succeeded' ? 0 : final.status === 'paused' ? 3 : 1;
  } finally {
    off();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await studio.shutdown();
  }
}

async function train(studio: Studio, call: Call, character: Character, values: Values, io: Io): Promise<number> {
  const str = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
  const runs = await call('training/list', { characterId: character.id });
  let run = runs.find((r) => r.status === 'stopped' || r.status === 'interrupted');
  if (run && !str('base-model')) {
    io.err(`Resuming the ${run.status} run of ${character.fullName} at step ${run.step}/${run.totalSteps}.`);
    run = await call('training/resume', { id: run.id });
  } else {
    const baseModel = str('base-model');
    if (!baseModel)
      throw new UsageError(
        'Missing --base-model (a Hugging Face id such as Qwen/Qwen2.5-1.5B-Instruct, or a model folder).',
      );
    const options = await call('training/options', {});
    const presetId = str('preset');
    const preset = presetId === undefined ? undefined : options.presets.find((p) => p.id === presetId);
    if (presetId !== undefined && !preset)
      throw new UsageError(`--preset must be one of ${options.presets.map((p) => p.id).join(', ')}.`);
    const defaults = { ...options.defaults, ...preset?.hyperparameters };
    const dtype = str('dtype') ?? defaults.dtype;
    if (dtype !== 'auto' && dtype !== 'bf16' && dtype !== 'fp16' && dtype !== 'fp32')
      throw new UsageError('--dtype must be auto, bf16, fp16 or fp32.');
    const format = str('format') ?? 'chat';
    if (format !== 'chat' && format !== 'character-llm')
      throw new UsageError('--format must be chat or character-llm.');
    const maxSteps = str('max-steps');
    const hostKey = str('host');
    const target = hostKey === undefined ? 'local' : (await findHost(call, hostKey)).id;
    if (hostKey !== undefined && str('python') !== undefined)
      io.err("Note: --python is ignored for a remote run; the host's python is used (hosts add --python).");
    const config: TrainingConfig = {
      baseModel,
      format,
      target,
      python: str('python') ?? '',
      hyperparameters: {
        ...defaults,
        epochs: numberOption(str('epochs'), '--epochs', defaults.epochs),
        learningRate: numberOption(str('lr'), '--lr', defaults.learningRate),
        loraRank: numberOption(str('rank'), '--rank', defaults.loraRank),
        loraAlpha:
          str('rank') === undefined ? defaults.loraAlpha : 2 * numberOption(str('rank'), '--rank', defaults.loraRank),
        batchSize: numberOption(str('batch'), '--batch', defaults.batchSize),
        maxLength: numberOption(str('max-length'), '--max-length', defaults.maxLength),
        maxSteps: maxSteps === undefined ? null : numberOption(maxSteps, '--max-steps', 0),
        fullFinetune: values.full === true || defaults.fullFinetune,
        loadIn4bit: values.qlora === true || defaults.loadIn4bit,
        dtype,
      },
    };
    const estimate = await call('training/estimate', { characterId: character.id, config });
    io.err(
      `${estimate.examples} scenes (~${estimate.meanTokens} tokens each), ${estimate.steps} steps${estimate.memoryGiB ? `, about ${estimate.memoryGiB} GiB of GPU memory` : ''}${estimate.seconds !== null ? `, about ${formatDuration(estimate.seconds)} (${estimate.speedBasis ?? ''})` : ''}.`,
    );
    for (const warning of estimate.warnings) io.err(`Warning: ${warning}`);
    run = await call('training/start', { characterId: character.id, config });
  }
  const id = run.id;
  let last = '';
  const off = studio.events.subscribe((name, payload) => {
    if (name === 'training/logged' && (payload as { runId: string }).runId === id)
      io.err(`  ${(payload as { line: string }).line}`);
    if (name !== 'training/progressed' || (payload as TrainingRun).id !== id) return;
    const r = payload as TrainingRun;
    const loss = r.points.at(-1)?.loss;
    const line = `[${r.status}] ${r.phase ?? ''} step ${r.step}/${r.totalSteps}${loss != null ? ` · loss ${loss.toFixed(4)}` : ''}${r.etaSeconds ? ` · ETA ${formatDuration(r.etaSeconds)}` : ''}`;
    if (line !== last) io.err(line);
    last = line;
  });
  const interrupt = () => {
    io.err('Saving a checkpoint and stopping… (run the same command again to resume)');
    void call('training/stop', { id }).catch(() => undefined);
  };
  process.once('SIGINT', interrupt);
  try {
    const final = await studio.training.whenIdle(id);
    if (final.message) io.err(final.message);
    for (const [kind, file] of Object.entries(final.outputs)) io.err(`  ${kind}: ${file}`);
    if (values.json) io.out(JSON.stringify(final, null, 2));
    return final.status === 'succeeded' ? 0 : final.status === 'stopped' ? 3 : 1;
  } finally {
    off();
    process.off('SIGINT', interrupt);
    await studio.shutdown();
  }
}

/** Serves the character's latest finished run (or `--run <id>`) over the OpenAI protocol until Ctrl+C. */
async function chatServer(studio: Studio, call: Call, character: Character, values: Values, io: Io): Promise<number> {
  const runs = await call('training/list', { characterId: character.id });
  const wanted = typeof values.run === 'string' ? values.run : undefined;
  const run = wanted
    ? runs.find((r) => r.id === wanted || r.id.startsWith(wanted))
    : runs.find((r) => r.status === 'succeeded');
  if (!run)
    throw new StudioFailure(
      'not_found',
      wanted
        ? `${character.fullName} has no training run "${wanted}"; see the Train tab or \`train\` for its runs.`
        : `${character.fullName} has no finished training run yet; train one first (character-studio train).`,
    );
  io.err(`Loading ${character.shortName}'s model from run ${run.id}…`);
  const served = await call('training/serve', { id: run.id });
  const { url, model } = served.serving ?? { url: null, model: null };
  if (values.json) io.out(JSON.stringify({ runId: run.id, url, model }, null, 2));
  else io.out(`${url}\nmodel: ${model}`);
  io.err('Point any OpenAI-compatible chat app at this base URL (any API key). Ctrl+C stops the server.');
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  io.err('Stopping…');
  await studio.shutdown();
  return 0;
}

function describeJob(job: Job): string {
  const stages = job.stages
    .map((s) => `${s.stage} ${s.done}/${s.total}${s.failed ? ` (${s.failed} failed)` : ''}`)
    .join(' · ');
  const eta = job.etaSeconds === null ? '' : ` · ETA ${formatDuration(job.etaSeconds)}`;
  const cost = job.costUsd > 0 ? ` · $${job.costUsd.toFixed(3)}` : '';
  return `[${job.status}] ${stages} · ${(job.promptTokens + job.completionTokens).toLocaleString('en')} tokens${cost}${eta}`;
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    throw new StudioFailure(
      'not_found',
      code === 'ENOENT' ? `${file} does not exist.` : `${file} cannot be read (${code || String(error)}).`,
    );
  }
}

async function findCharacter(
  call: <K extends CommandName>(name: K, arg: CommandArg<K>) => Promise<CommandResult<K>>,
  key: string,
): Promise<Character> {
  const list = await call('characters/list', {});
  const lower = key.toLowerCase();
  const exact = list.filter((c) => c.id === key || c.fullName.toLowerCase() === lower);
  const matches = exact.length > 0 ? exact : list.filter((c) => c.shortName.toLowerCase() === lower);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new StudioFailure('not_found', `No character "${key}". See them with: character-studio characters list`);
  }
  throw new StudioFailure(
    'conflict',
    `"${key}" names ${matches.length} characters; use the id: ${matches.map((c) => `${c.id} (${c.fullName})`).join(', ')}`,
  );
}

function describeCharacter(c: Character): string {
  const era = c.era ? `, ${c.era}` : '';
  return `${c.fullName} (${c.shortName}${era}) — ${c.profileCount} profile(s), ${c.chunkCount} chunks, ${c.wordCount} words  [${c.id}]`;
}

function describeProfiles(character: Character, profiles: Profile[]): string {
  if (profiles.length === 0)
    return `${character.fullName} has no profile yet. Add one with: character-studio profiles import`;
  return profiles
    .map((p) => {
      const lines = p.chunks.map((chunk) => {
        const text = chunk.text.replace(/\s+/g, ' ');
        return `  ${String(chunk.position + 1).padStart(3)}. ${text.length > 100 ? text.slice(0, 99) + '…' : text} (${chunk.words} words)`;
      });
      return [`${p.title} (${p.format}, ${p.chunks.length} chunks, ${p.words} words)`, ...lines].join('\n');
    })
    .join('\n\n');
}

async function serve(
  dataDir: string,
  host: string | undefined,
  portText: string | undefined,
  json: boolean,
  io: Io,
): Promise<number> {
  const port = portText === undefined ? 5757 : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.err(`--port must be a number from 0 to 65535, not "${portText}".`);
    return 2;
  }
  let studio: Studio;
  try {
    studio = new Studio({ dataDir, door: 'web', version: STUDIO_VERSION, appRoot: APP_ROOT });
  } catch (error) {
    io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const staticDir = path.join(__dirname, '..', 'renderer');
  const make = (p: number) => new WebServer({ studio, staticDir, port: p, ...(host && { host }), log: io.err });
  let server = make(port);
  let url: string;
  try {
    url = await server.start();
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    if (code === 'EADDRINUSE' && portText === undefined) {
      io.err(`Port ${port} is busy; using a free one instead.`);
      server = make(0);
      url = await server.start();
    } else {
      io.err(`Error: cannot listen on ${host ?? '127.0.0.1'}:${port} (${code || String(error)}). Try another --port.`);
      studio.close();
      return 1;
    }
  }
  if (json) io.out(JSON.stringify({ event: 'ready', url, origin: server.origin, dataDir }));
  else {
    io.out(`Character Studio is running at:\n\n  ${url}\n\nData folder: ${dataDir}\nPress Ctrl+C to stop.`);
  }
  if (host && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    io.err('Warning: the studio is reachable from other machines on this network; anyone with the address can use it.');
  }
  return new Promise<number>((resolve) => {
    const stop = () => {
      void server
        .close()
        .then(() => studio.shutdown())
        .then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
