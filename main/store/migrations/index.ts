import m001 from './001_initial.sql';
import m002 from './002_generation.sql';
import m003 from './003_training.sql';
import m004 from './004_hosts.sql';
import m005 from './005_training_memory.sql';
import m006 from './006_jobs_rerun.sql';
import m007 from './007_format_problems.sql';
import m008 from './008_training_warnings.sql';
import m009 from './009_dataset_figures.sql';
import m010 from './010_scene_revisions.sql';
import m011 from './011_review.sql';
import m012 from './012_scene_search.sql';
import m013 from './013_regenerate.sql';
import m014 from './014_conversations.sql';
import m015 from './015_turn_figures.sql';
import m016 from './016_dataset_imports.sql';
import m017 from './017_eval.sql';
import m018 from './018_judgments.sql';
import m019 from './019_profile_provenance.sql';
import m020 from './020_chat_sampling.sql';
import m021 from './021_scene_browser.sql';
import m022 from './022_job_figures.sql';
import m023 from './023_search_prefixes.sql';
import m024 from './024_import_copying.sql';
import m025 from './025_imported_turn_figures.sql';
import m026 from './026_scene_signatures.sql';
import m027 from './027_character_scene_counts.sql';
import m028 from './028_import_search_rows.sql';
import m029 from './029_scope_on_experience_write.sql';
import m030 from './030_job_event_indexes.sql';
import m031 from './031_job_stop_requests.sql';
import m032 from './032_chat_user_name.sql';
import m033 from './033_training_logs.sql';
import m034 from './034_call_provider_label.sql';
import m035 from './035_job_unpriced_calls.sql';
import m036 from './036_deferred_search_rows.sql';
import m037 from './037_scene_writes_in_one_pass.sql';
import m038 from './038_scene_model_by_writer.sql';
import m039 from './039_run_remote_place.sql';
import { recountSceneFigures } from '../scene-figures';
import { backfillTurnFigures } from '../turn-figures';
import type { Db } from '../database';

/** Every migration, in order. Ids are consecutive from 1; a shipped migration is never edited. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
  /** Work SQL cannot do (e.g. counting words in stored JSON), run after `sql` in the same transaction. */
  backfill?: (db: Db) => void;
}

export const migrations: readonly Migration[] = [
  { id: 1, name: 'initial', sql: m001 },
  { id: 2, name: 'generation', sql: m002 },
  { id: 3, name: 'training', sql: m003 },
  { id: 4, name: 'hosts', sql: m004 },
  { id: 5, name: 'training_memory', sql: m005 },
  { id: 6, name: 'jobs_rerun', sql: m006 },
  { id: 7, name: 'format_problems', sql: m007 },
  { id: 8, name: 'training_warnings', sql: m008 },
  { id: 9, name: 'dataset_figures', sql: m009, backfill: (db) => recountSceneFigures(db) },
  { id: 10, name: 'scene_revisions', sql: m010 },
  { id: 11, name: 'review', sql: m011 },
  { id: 12, name: 'scene_search', sql: m012 },
  { id: 13, name: 'regenerate', sql: m013 },
  { id: 14, name: 'conversations', sql: m014 },
  { id: 15, name: 'turn_figures', sql: m015, backfill: backfillTurnFigures },
  { id: 16, name: 'dataset_imports', sql: m016 },
  { id: 17, name: 'eval', sql: m017 },
  { id: 18, name: 'judgments', sql: m018 },
  { id: 19, name: 'profile_provenance', sql: m019 },
  { id: 20, name: 'chat_sampling', sql: m020 },
  { id: 21, name: 'scene_browser', sql: m021 },
  { id: 22, name: 'job_figures', sql: m022 },
  { id: 23, name: 'search_prefixes', sql: m023 },
  { id: 24, name: 'import_copying', sql: m024 },
  { id: 25, name: 'imported_turn_figures', sql: m025, backfill: (db) => backfillTurnFigures(db, true) },
  { id: 26, name: 'scene_signatures', sql: m026 },
  { id: 27, name: 'character_scene_counts', sql: m027 },
  { id: 28, name: 'import_search_rows', sql: m028 },
  { id: 29, name: 'scope_on_experience_write', sql: m029 },
  { id: 30, name: 'job_event_indexes', sql: m030 },
  { id: 31, name: 'job_stop_requests', sql: m031 },
  { id: 32, name: 'chat_user_name', sql: m032 },
  { id: 33, name: 'training_logs', sql: m033 },
  { id: 34, name: 'call_provider_label', sql: m034 },
  { id: 35, name: 'job_unpriced_calls', sql: m035 },
  { id: 36, name: 'deferred_search_rows', sql: m036 },
  { id: 37, name: 'scene_writes_in_one_pass', sql: m037 },
  { id: 38, name: 'scene_model_by_writer', sql: m038 },
  { id: 39, name: 'run_remote_place', sql: m039 },
];
