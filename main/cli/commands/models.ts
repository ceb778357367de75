import path from 'node:path';
import { catalogCheckText, MODEL_CHECK_TEXT } from '../../../common/model-check-text';
import type { LocalModel } from '../../../common/contract';
import { StudioFailure } from '../../core/errors';
import { sizeText } from '../../core/models/model-service';
import { onInterrupt } from '../interrupt';
import { argument, confirmDelete, type CliContext } from '../shared';
import { unknownSubcommand } from '../command-hints';

const describe = (m: LocalModel) =>
  `${m.id}  ${m.name} (${m.architecture}, ${sizeText(m.sizeBytes)}; ${MODEL_CHECK_TEXT[m.check]})\n    ${m.path}`;

/**
 * `models download <id>`: progress on stderr. Ctrl-C (SIGINT) stops the transfer through
 * `models/cancel`, which keeps the complete pieces; the command then says how to continue and exits
 * with 130, the shell's code for an interrupted command.
 */
async function download(id: string, ctx: CliContext): Promise<number> {
  const { call, print, io, studio } = ctx;
  let shown = -1;
  let interrupted = false;
  const off = studio.events.subscribe((name, payload) => {
    // Once stopping, no more progress: a line after "Stopping the download…" read as if it went on.
    if (name !== 'models/progressed' || interrupted) return;
    const p = payload as { id: string; downloadedBytes: number; totalBytes: number };
    if (p.id !== id) return;
    const percent = Math.floor((p.downloadedBytes / Math.max(1, p.totalBytes)) * 100);
    if (percent === shown) return;
    shown = percent;
    io.err(`${id}: ${percent}% of ${sizeText(p.totalBytes)}`);
  });
  // A second Ctrl-C quits at once: the complete pieces are already on disk.
  const offInterrupt = onInterrupt(() => {
    interrupted = true;
    io.err('Stopping the download…');
    return call('models/cancel', { id });
  });
  try {
    const model = await call('models/download', { id });
    print(
      model,
      () =>
        `Downloaded ${describe(model)}\nUse it: character-studio providers add --preset embedded --name "${model.name}" --model-path "${model.path}"`,
    );
    return 0;
  } catch (error) {
    if (!interrupted || !(error instanceof StudioFailure)) throw error;
    io.err(error.message);
    return 130;
  } finally {
    off();
    offInterrupt();
  }
}

/** `models list|download <id>|add <file>|remove <id>`: GGUF models for the embedded runtime. */
export async function modelsCommand(sub: string, ctx: CliContext): Promise<number> {
  const { call, rest, print } = ctx;
  switch (sub) {
    case 'list': {
      const view = await call('models/list', { check: true });
      print(view, () =>
        [
          'Curated models (download with: character-studio models download <id>):',
          ...view.catalog.map(
            (m) =>
              `  ${m.id}  ${m.name}, ${m.sha256 ? '' : '~'}${sizeText(m.sizeBytes)}, ${m.licence}${m.installed ? '  [downloaded]' : ''}\n` +
              `    ${m.goodFor}\n    ${m.url}\n    ${catalogCheckText(m)}` +
              (m.partial
                ? `\n    Stopped at ${sizeText(m.partial.downloadedBytes)} of ${sizeText(m.partial.totalBytes)}: \`models download ${m.id}\` continues from there.`
                : ''),
          ),
          '',
          view.local.length === 0
            ? 'No local model yet.'
            : ['Local models:', ...view.local.map((m) => `  ${describe(m)}`)].join('\n'),
          ...(view.offline ? ['', view.offline] : []),
        ].join('\n'),
      );
      return 0;
    }
    case 'download':
      return download(argument(rest, 1, '<id>'), ctx);
    case 'add': {
      const file = path.resolve(argument(rest, 1, '<file.gguf>'));
      const model = await call('models/add', { path: file });
      print(
        model,
        () =>
          `Added ${path.basename(model.path)} (${model.architecture}, ${sizeText(model.sizeBytes)}) as ${model.id}.`,
      );
      return 0;
    }
    case 'remove': {
      const id = argument(rest, 1, '<id>');
      const local = (await call('models/list', {})).local.find((m) => m.id === id);
      if (local)
        await confirmDelete(
          ctx,
          `the model ${local.name} (${local.path}, ${sizeText(local.sizeBytes)}: a download is deleted from disk)`,
        );
      const result = await call('models/remove', { id });
      print(result, () => `Removed ${id}.`);
      return 0;
    }
    default:
      throw unknownSubcommand('models', sub);
  }
}
