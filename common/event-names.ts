import type { EventName } from './contract';

const names: Record<EventName, true> = {
  'characters/changed': true,
  'profiles/changed': true,
  'providers/changed': true,
  'hosts/changed': true,
  'jobs/progressed': true,
  'dataset/changed': true,
  'dataset/io-progress': true,
  'scenes/regenerated': true,
  'limits/changed': true,
  'training/progressed': true,
  'training/logged': true,
  'training/setup-progressed': true,
  'chat/changed': true,
  'chat/delta': true,
  'chat/status': true,
  'eval/questions/changed': true,
  'eval/systems/changed': true,
  'eval/interviews/changed': true,
  'eval/judgments/changed': true,
};

/** Every contract event name, for bridges that must subscribe by name. Complete by construction. */
export const EVENT_NAMES = Object.keys(names) as readonly EventName[];
