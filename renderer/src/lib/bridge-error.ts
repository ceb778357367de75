import type { ErrorCode, StudioError } from '../../../common/contract';

/** A failed command as the renderer sees it, whichever door carried it. */
export class CommandError extends Error implements StudioError {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
