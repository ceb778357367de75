/**
 * The studio contract: every command a door (IPC, HTTP, CLI) may call and every event it may
 * receive. Types only; it imports only its own area files and is compiled with neither DOM nor Node types,
 * so renderer, preload and main can all depend on it.
 *
 * Conventions: commands are `noun/verb` and take exactly one argument object; events are past
 * tense. Times are milliseconds since the Unix epoch. Errors cross every door as `StudioError`.
 */

export type * from './base';
export type * from './characters';
export type * from './providers';
export type * from './training';
export type * from './hosts';
export type * from './generation';
export type * from './dataset';
export type * from './dataset-charts';
export type * from './scenes';
export type * from './review';
export type * from './chat';
export type * from './interop';
export type * from './jobs';
export type * from './regenerate';
export type * from './eval';
export type * from './eval-judge';
export type * from './cards';
export type * from './onboarding';
export type * from './models';
export type * from './eval-report';

import type { AppCommands } from './base';
import type { CharacterCommands, CharacterEvents } from './characters';
import type { ProviderCommands, ProviderEvents } from './providers';
import type { TrainingCommands, TrainingEvents } from './training';
import type { HostCommands, HostEvents } from './hosts';
import type { GenerationCommands, GenerationEvents } from './generation';
import type { DatasetCommands, DatasetEvents } from './dataset';
import type { DatasetChartCommands } from './dataset-charts';
import type { SceneCommands } from './scenes';
import type { ReviewCommands } from './review';
import type { ChatCommands, ChatEvents } from './chat';
import type { InteropCommands, InteropEvents } from './interop';
import type { JobCommands, JobEvents } from './jobs';
import type { RegenerateCommands, RegenerateEvents } from './regenerate';
import type { EvalCommands, EvalEvents } from './eval';
import type { JudgeCommands, JudgeEvents } from './eval-judge';
import type { CardCommands } from './cards';
import type { OnboardingCommands, OnboardingEvents } from './onboarding';
import type { ModelCommands, ModelEvents } from './models';
import type { EvalReportCommands } from './eval-report';

/** Every command, one interface per area joined here (Actual's handlers.ts pattern). */
export interface Commands
  extends
    AppCommands,
    CharacterCommands,
    ProviderCommands,
    TrainingCommands,
    HostCommands,
    GenerationCommands,
    DatasetCommands,
    DatasetChartCommands,
    SceneCommands,
    ReviewCommands,
    ChatCommands,
    InteropCommands,
    JobCommands,
    RegenerateCommands,
    EvalCommands,
    JudgeCommands,
    CardCommands,
    OnboardingCommands,
    ModelCommands,
    EvalReportCommands {}

export type CommandName = keyof Commands;
export type CommandArg<K extends CommandName> = Parameters<Commands[K]>[0];
export type CommandResult<K extends CommandName> = ReturnType<Commands[K]>;

export interface Events
  extends
    CharacterEvents,
    ProviderEvents,
    TrainingEvents,
    HostEvents,
    GenerationEvents,
    DatasetEvents,
    ChatEvents,
    InteropEvents,
    JobEvents,
    RegenerateEvents,
    EvalEvents,
    JudgeEvents,
    OnboardingEvents,
    ModelEvents {}

export type EventName = keyof Events;

export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_file'
  | 'database'
  | 'unknown_command'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'internal';

export interface StudioError {
  code: ErrorCode;
  message: string;
}

/** What the renderer sees, whichever door carries it. */
export interface StudioBridge {
  invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>>;
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void;
  /**
   * Called each time the bridge's event stream (re)connects, for a bridge whose events can be missed
   * while it is not connected (the web bridge: before its stream opens and while it reconnects).
   * Whatever was read before may be stale then; listeners refetch. Absent where no event is lost.
   */
  onConnected?(listener: () => void): () => void;
}

/** Names of every command, for doors that must enumerate them. Kept in step by the compiler. */
export type CommandNameList = readonly CommandName[];

/** A command's result as it crosses a process boundary: errors are data, never thrown. */
export type Outcome<T = unknown> = { ok: true; result: T } | { ok: false; error: StudioError };

/** What the Electron preload exposes as `window.studioDesktop`; the renderer wraps it. */
export interface DesktopBridge {
  invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<Outcome<CommandResult<K>>>;
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void;
}
