import type { Appearance, Theme } from '../../../common/contract';
import type { PreferencesRepo } from '../../store/preferences-repo';
import type { Clock } from '../clock';
import type { EventBus } from '../events';

const KEY = 'appearance';
const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

/** The studio's look, kept in its preferences so every window and door shares it (default: follow the system). */
export class AppearanceService {
  constructor(
    private readonly preferences: PreferencesRepo,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  get(): Appearance {
    const stored = this.preferences.get(KEY) as Partial<Appearance> | undefined;
    // A value some later version wrote, or a damaged one, reads as the default.
    return { theme: stored?.theme && THEMES.includes(stored.theme) ? stored.theme : 'system' };
  }

  set(appearance: Appearance): Appearance {
    this.preferences.set(KEY, appearance, this.clock.now());
    this.events.emit('appearance/changed', appearance);
    return appearance;
  }
}
