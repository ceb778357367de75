import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runCliIn } from '../../support/cli';
import { writeEpub, xhtml } from '../../support/manuscripts';
import { writePdf } from '../../support/pdf-writer';
import { tempDir } from '../../support/paths';

/** `profiles import` reads manuscripts (issue 13, point 4) and names a refused file (point 7). */

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('cs-cli-manuscripts-');
});
afterEach(() => tmp.cleanup());

const cli = (args: string[]) => runCliIn(tmp.dir, args);

it('imports an EPUB with its chapters, and refuses a locked PDF naming it', async () => {
  expect((await cli(['characters', 'create', '--full-name', 'Mary Anning', '--short-name', 'Mary'])).code).toBe(0);
  const book = path.join(tmp.dir, 'fossils.epub');
  fs.writeFileSync(
    book,
    writeEpub('Fossils', [
      { file: 'a.xhtml', xhtml: xhtml('<h1>One</h1><p>Lyme Regis.</p>') },
      { file: 'b.xhtml', xhtml: xhtml('<h1>Two</h1><p>The cliffs.</p>') },
    ]),
  );
  const imported = await cli(['profiles', 'import', 'Mary', book]);
  expect(imported.err).toBe('');
  expect(imported.out).toBe('Imported "Fossils" (markdown): 2 chunks, 6 words.');
  const locked = path.join(tmp.dir, 'locked.pdf');
  fs.writeFileSync(locked, writePdf([[{ text: 'x', y: 10 }]], { encrypted: true }));
  const refused = await cli(['profiles', 'import', 'Mary', locked]);
  expect(refused.code).not.toBe(0);
  expect(refused.err).toMatch(/locked\.pdf is protected by a password/);
  expect((await cli(['profiles', 'show', 'Mary'])).out).toMatch(/^Fossils \(markdown, 2 chunks/);
});
