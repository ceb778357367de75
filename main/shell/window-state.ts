import fs from 'node:fs';
import path from 'node:path';

/** Window bounds remembered between launches, in the data folder. */
export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

const DEFAULT_STATE: WindowState = { width: 1280, height: 820, maximized: false };

export function loadWindowState(dir: string): WindowState {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, 'window-state.json'), 'utf8')) as Partial<WindowState>;
    const width = Number(raw.width);
    const height = Number(raw.height);
    if (!(width >= 400 && height >= 300)) return DEFAULT_STATE;
    return {
      width,
      height,
      maximized: raw.maximized === true,
      ...(Number.isFinite(raw.x) && Number.isFinite(raw.y) && { x: Number(raw.x), y: Number(raw.y) }),
    };
  } catch {
    return DEFAULT_STATE;
  }
}

export function saveWindowState(dir: string, state: WindowState): void {
  try {
    fs.writeFileSync(path.join(dir, 'window-state.json'), JSON.stringify(state));
  } catch {
    // Losing the window position is harmless; never fail a quit over it.
  }
}
