import type { TrainerEnvironment } from '../../../common/contract';
import type { DoctorEvent } from '../../../common/trainer-protocol';

/** The trainer's `doctor` event as the studio shows it; `where` prefixes the summary (e.g. a host name). */
export function environmentOf(report: DoctorEvent, interpreter: string, where = ''): TrainerEnvironment {
  const gpus = report.gpus.map((g) => ({
    name: g.name,
    memoryGiB: Math.round((g.memory_total_bytes / 2 ** 30) * 10) / 10,
  }));
  const device = report.cuda_available
    ? `${gpus.length} CUDA GPU${gpus.length === 1 ? '' : 's'} (${gpus.map((g) => g.name).join(', ')})`
    : 'no CUDA GPU: training runs on the CPU, which suits only tiny models';
  return {
    ok: true,
    python: report.python_executable ?? interpreter,
    summary: `${where}Python ${report.python}, torch ${report.torch}; ${device}.`,
    torch: report.torch,
    cuda: report.cuda_available,
    gpus,
    bf16: report.bf16_supported,
  };
}

/** An environment that cannot train, and why (`summary`). */
export function failedEnvironment(python: string, summary: string): TrainerEnvironment {
  return { ok: false, python, summary, torch: null, cuda: false, gpus: [], bf16: false };
}
