import type { InteropCommands } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { DatasetExportService } from './dataset-export';
import type { DatasetImportService, IoRequests } from './dataset-import';

/** Dataset export and import (and cancelling either), one line each (joined into the studio's handlers). */
export function interopHandlers(
  exporter: DatasetExportService,
  importer: DatasetImportService,
  ioRequests: IoRequests,
): Pick<Handlers, keyof InteropCommands> {
  return {
    'dataset/export': (request) => exporter.export(request),
    'dataset/import': (request) => importer.import(request),
    'dataset/io-cancel': ({ requestId }) => ioRequests.cancel(requestId),
  };
}
