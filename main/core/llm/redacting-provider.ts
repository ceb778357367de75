import type { SecretRedactor } from '../redact';
import {
  LlmError,
  isLlmError,
  type CompletionRequest,
  type CompletionResult,
  type ConnectionReport,
  type LlmProvider,
} from './types';

/**
 * The boundary between a provider and everything that stores or shows what it says: answers,
 * reasoning, error messages and connection reports come out with every configured secret masked
 * (see `SecretRedactor`), whatever the server echoed. Errors are rebuilt without their `cause`,
 * which holds the server's raw text.
 */
export class RedactingProvider implements LlmProvider {
  constructor(
    private readonly inner: LlmProvider,
    private readonly redactor: SecretRedactor,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  get label(): string | undefined {
    return this.inner.label;
  }

  get model(): string {
    return this.inner.model;
  }

  get capabilities(): LlmProvider['capabilities'] {
    return this.inner.capabilities;
  }

  async complete(req: CompletionRequest, signal: AbortSignal): Promise<CompletionResult> {
    try {
      const result = await this.inner.complete(req, signal);
      return {
        ...result,
        text: this.redactor.redact(result.text),
        ...(result.reasoning !== undefined && { reasoning: this.redactor.redact(result.reasoning) }),
      };
    } catch (error) {
      throw this.clean(error);
    }
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    try {
      return (await this.inner.listModels(signal)).map((id) => this.redactor.redact(id));
    } catch (error) {
      throw this.clean(error);
    }
  }

  async test(signal: AbortSignal): Promise<ConnectionReport> {
    return this.redactor.redactValue(await this.inner.test(signal));
  }

  private clean(error: unknown): unknown {
    if (isLlmError(error)) {
      return new LlmError(error.code, this.redactor.redact(error.message), {
        retryable: error.retryable,
        ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
        ...(error.status !== undefined && { status: error.status }),
      });
    }
    if (error instanceof Error) {
      const copy = new Error(this.redactor.redact(error.message));
      copy.name = error.name;
      return copy;
    }
    return error;
  }
}
