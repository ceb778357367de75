import type { CommandArg, CommandName, CommandResult, DesktopBridge, StudioBridge } from '../../../common/contract';
import { CommandError } from './bridge-error';
import { createWebBridge } from './web-bridge';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser, where the web bridge is used. */
    studioDesktop?: DesktopBridge;
  }
}

let bridge: StudioBridge | null = null;

function desktopBridge(desktop: DesktopBridge): StudioBridge {
  return {
    async invoke<K extends CommandName>(name: K, arg: CommandArg<K>): Promise<CommandResult<K>> {
      const outcome = await desktop.invoke(name, arg);
      if (!outcome.ok) throw new CommandError(outcome.error.code, outcome.error.message);
      return outcome.result;
    },
    on: (name, listener) => desktop.on(name, listener),
  };
}

/** The one way components reach the studio. Tests may install a fake with `setStudio`. */
export function studio(): StudioBridge {
  bridge ??= window.studioDesktop ? desktopBridge(window.studioDesktop) : createWebBridge();
  return bridge;
}

export function setStudio(fake: StudioBridge): void {
  bridge = fake;
}
