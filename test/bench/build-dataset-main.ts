// Builds a benchmark's big dataset in a process of its own, as an earlier session of the studio
// would have, so that the process being measured starts with the memory a studio opening that
// data has, not the gigabytes building 100,000 scenes in it leaves behind. Why it matters: the
// kernel copies a process's page tables at every `spawn`, and libuv's spawn waits for the child's
// exec, so a 3 GB process held its event loop ~200 ms on the trainer's environment check, where a
// `serve` opening the same 100k database holds ~90 MB and spawns in a few ms.
//   node build-dataset-main.mjs <data dir> <scenes>
// Prints `{"characterId": …}` on stdout once the studio is closed.
import { Studio } from '../../main/core/studio';
import { JobsRepo } from '../../main/store/jobs-repo';
import { benchCharacter } from './built-dataset';
import { build } from './dataset-scale';

const [dataDir, scenes] = process.argv.slice(2);
if (!dataDir || !scenes) throw new Error('usage: build-dataset-main.mjs <data dir> <scenes>');
const studio = new Studio({ dataDir, door: 'cli', version: 'bench' });
const characterId = await benchCharacter(studio);
// The job that made them has finished, as an earlier run's would have.
new JobsRepo(studio.db).setStatus(build(studio, characterId, Number(scenes)), 'succeeded', null, Date.now());
await studio.shutdown();
process.stdout.write(JSON.stringify({ characterId }) + '\n');
