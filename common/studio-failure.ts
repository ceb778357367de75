import type { ErrorCode, StudioError } from './contract';

/** A failure the user can act on. Crosses every door as `{code, message}`. */
export class StudioFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StudioFailure';
  }

  toJSON(): StudioError {
    return { code: this.code, message: this.message };
  }
}
