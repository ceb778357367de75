import type { EvalReportCommands } from '../../../common/contract';
import type { Handlers } from '../dispatch';
import type { OutputsImportService } from './outputs-import';
import type { EvalReportService } from './report-service';

/** The report and output-import commands, one line each (joined into the studio's handlers). */
export function evalReportHandlers(
  reports: EvalReportService,
  outputs: OutputsImportService,
): Pick<Handlers, keyof EvalReportCommands> {
  return {
    'eval/report': (request) => reports.report(request),
    'eval/report-answers': (request) => reports.answers(request),
    'eval/report-compare': (request) => reports.compare(request),
    'eval/report-export': (request) => reports.export(request),
    'eval/import-outputs': (request) => outputs.import(request),
  };
}
