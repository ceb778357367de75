import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { SampleCharacter, SampleLoaded } from '../../../common/contract';
import type { CharacterService } from '../character-service';
import { StudioFailure } from '../errors';
import type { DatasetImportService } from '../interop/dataset-import';
import type { ProfileService } from '../profile-service';

/**
 * Sample characters shipped with the studio (resources/samples, see its README): a profile and a
 * small dataset written by the studio's authors, so a first-time user can open every screen, the
 * Dataset, Review and Training tabs included, before connecting any model or spending anything.
 *
 * Loading goes through the ordinary services (the profile importer, the dataset importer), so a
 * sample looks exactly like what a user makes; its provenance is stated in the character's notes,
 * the profile's source name and each scene's import record (file and item). All or nothing: a
 * failure after the character was created deletes it again, with everything made from it.
 */
const indexSchema = z.object({
  samples: z.array(
    z.object({
      id: z.string().regex(/^[a-z0-9-]+$/),
      fullName: z.string(),
      shortName: z.string(),
      era: z.string(),
      summary: z.string(),
      profile: z.string(),
      datasets: z.array(z.string()),
      licence: z.string(),
    }),
  ),
});
type SampleEntry = z.infer<typeof indexSchema>['samples'][number];

export const SAMPLE_NOTE =
  'Sample character shipped with Character Studio: the profile and scenes were written by the studio’s authors (public domain, CC0), not generated from your data. Explore every tab with it; delete it when you are done.';

export class SampleService {
  constructor(
    /** resources/samples: index.json and the files it names. */
    private readonly dir: string,
    private readonly characters: CharacterService,
    private readonly profiles: ProfileService,
    private readonly datasets: DatasetImportService,
  ) {}

  list(): SampleCharacter[] {
    const loaded = new Map(this.characters.list().map((c) => [c.fullName.toLowerCase(), c.id]));
    return this.index().map((entry) => ({
      id: entry.id,
      fullName: entry.fullName,
      shortName: entry.shortName,
      era: entry.era,
      summary: entry.summary,
      licence: entry.licence,
      loadedAs: loaded.get(entry.fullName.toLowerCase()) ?? null,
    }));
  }

  async load(id: string): Promise<SampleLoaded> {
    const entry = this.index().find((sample) => sample.id === id);
    if (!entry) {
      throw new StudioFailure(
        'not_found',
        `There is no sample character "${id}". Samples: ${
          this.index()
            .map((s) => s.id)
            .join(', ') || 'none'
        }.`,
      );
    }
    const existing = this.characters.list().find((c) => c.fullName.toLowerCase() === entry.fullName.toLowerCase());
    if (existing) {
      throw new StudioFailure(
        'conflict',
        `${entry.fullName} is already in the studio. Open it from the list of characters, or delete it first to load the sample again.`,
      );
    }
    const text = fs.readFileSync(this.file(entry.profile), 'utf8');
    const character = this.characters.create({
      fullName: entry.fullName,
      shortName: entry.shortName,
      era: entry.era,
      notes: SAMPLE_NOTE,
    });
    try {
      const profile = await this.profiles.import({
        characterId: character.id,
        fileBase64: Buffer.from(text).toString('base64'),
        fileName: `${path.basename(entry.profile, '.md')} (sample).md`,
        title: `${entry.fullName} (sample profile)`,
      });
      let scenes = 0;
      let protective = 0;
      for (const dataset of entry.datasets) {
        const report = await this.datasets.import({
          characterId: character.id,
          path: this.file(dataset),
          format: 'paper-dialogue',
        });
        scenes += report.scenes;
        protective += report.protective;
      }
      return { characterId: character.id, chunks: profile.chunks.length, scenes, protective };
    } catch (error) {
      this.characters.delete(character.id);
      throw error;
    }
  }

  private file(relative: string): string {
    return path.join(this.dir, relative);
  }

  private index(): SampleEntry[] {
    const file = path.join(this.dir, 'index.json');
    let raw: string;
    try {
      raw = fs.readFileSync(file, 'utf8');
    } catch {
      // An install without samples (a trimmed build) lists none rather than failing.
      return [];
    }
    return indexSchema.parse(JSON.parse(raw)).samples;
  }
}
