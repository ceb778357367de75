import type { ErrorCode, StudioError } from '../../common/contract';
import { clause, errorText } from '../../common/sentence';

import { StudioFailure } from '../../common/studio-failure';

// The class lives in common/ so the store may throw it too (main/store imports nothing of main/core).
export { StudioFailure };

export function toStudioError(error: unknown): StudioError {
  if (error instanceof StudioFailure) return error.toJSON();
  return {
    code: 'internal',
    message: `Something went wrong inside the studio: ${clause(errorText(error))}. Nothing you saved was changed; please report this with the steps that led to it.`,
  };
}

/** HTTP status for each error code, used by the web door and shown by the CLI. */
export const httpStatusOf: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unsupported_file: 400,
  unknown_command: 404,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  database: 500,
  unavailable: 503,
  internal: 500,
};
