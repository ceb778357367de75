import { build } from 'esbuild';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CharacterId, Profile } from '../../../common/contract';
import { MANUSCRIPT_LIMITS } from '../../../main/core/manuscripts/limits';
import { WorkerManuscriptReader } from '../../../main/core/manuscripts/manuscript-reader';
import { readManuscript } from '../../../main/core/manuscripts/read-manuscript';
import { epubEntries, writeDocx, writeEpub, xhtml } from '../../support/manuscripts';
import { writePdf, type PdfLine } from '../../support/pdf-writer';
import { writeZip } from '../../support/zip';
import { call, callError, makeStudio } from '../../support/studio';

/** Manuscripts in (issue 13, points 4 and 7): .docx, .epub and .pdf through the studio's import door. */

let env: ReturnType<typeof makeStudio>;
let characterId: CharacterId;
beforeEach(async () => {
  env = makeStudio();
  characterId = (
    await call(env.studio, 'characters/create', {
      fullName: 'Mary Anning',
      shortName: 'Mary',
      era: '1799–1847',
      notes: '',
    })
  ).id;
});
afterEach(() => env.cleanup());

const importFile = (bytes: Buffer, fileName: string) =>
  call(env.studio, 'profiles/import', { characterId, fileBase64: bytes.toString('base64'), fileName });
const refuse = (bytes: Buffer, fileName: string) =>
  callError(env.studio, 'profiles/import', { characterId, fileBase64: bytes.toString('base64'), fileName });
const headings = (profile: Profile) => profile.chunks.map((chunk) => chunk.heading);
const allText = (profile: Profile) => profile.chunks.map((chunk) => chunk.text).join('\n\n');

describe('.docx', () => {
  it('keeps Word headings as # headings over the paragraphs they title', async () => {
    const profile = await importFile(
      writeDocx([
        { text: 'Notes on Mary', style: 'Title' },
        { text: 'Childhood', style: 'Heading1' },
        { text: 'Mary was born in Lyme Regis in 1799.' },
        { text: 'Lightning struck the field where she stood as a baby.' },
        { text: 'The Ichthyosaur', style: 'Heading2' },
        { text: 'Her brother found the skull; she found the rest & more.' },
      ]),
      'mary notes.docx',
    );
    expect(profile.format).toBe('markdown');
    expect(profile.title).toBe('Notes on Mary');
    expect(profile.sourceName).toBe('mary notes.docx');
    expect(allText(profile)).toContain('## The Ichthyosaur\nHer brother found the skull; she found the rest & more.');
    expect(headings(profile)).toEqual(expect.arrayContaining(['Childhood', 'The Ichthyosaur']));
  });

  it('refuses a damaged .docx, naming it, and stores nothing', async () => {
    const good = writeDocx([{ text: 'Mary was born in 1799.' }]);
    const cut = good.subarray(0, Math.floor(good.length * 0.6));
    const error = await refuse(cut, 'broken.docx');
    expect(error.code).toBe('unsupported_file');
    expect(error.message).toMatch(/^broken\.docx is damaged/);
    const notWord = await refuse(writeZip([{ name: 'readme.txt', data: 'hello' }]), 'other.docx');
    expect(notWord.message).toMatch(/^other\.docx is not a Word document.*save it as \.docx/);
    const renamed = await refuse(Buffer.from('just some text, renamed'), 'renamed.docx');
    expect(renamed.message).toMatch(/^renamed\.docx is not a Word \(\.docx\) file, whatever its name says/);
    expect(await call(env.studio, 'profiles/list', { characterId })).toEqual([]);
  });
});

describe('.epub', () => {
  it('reads the spine in order, keeps chapters as headings and leaves out non-linear items', async () => {
    const profile = await importFile(
      writeEpub(
        'A Life Among Fossils',
        [
          { file: 'notes.xhtml', xhtml: xhtml('<p>Editor’s notes, not part of the story.</p>'), nonLinear: true },
          { file: 'ch2.xhtml', xhtml: xhtml('<h1>Chapter Two</h1><p>The <em>plesiosaur</em> came in 1823.</p>') },
          {
            file: 'ch1.xhtml',
            xhtml: xhtml('<h1>Chapter One</h1><p>Lyme Regis, 1799.<br/>A stormy year.</p><script>x()</script>'),
          },
        ],
        ['ch1.xhtml', 'ch2.xhtml', 'notes.xhtml'],
      ),
      'fossils.epub',
    );
    expect(profile.title).toBe('A Life Among Fossils');
    const text = allText(profile);
    expect(text.indexOf('Chapter One')).toBeLessThan(text.indexOf('Chapter Two'));
    expect(text).toContain('# Chapter One\nLyme Regis, 1799.\nA stormy year.');
    expect(text).toContain('The plesiosaur came in 1823.');
    expect(text).not.toMatch(/Editor|x\(\)/);
    expect(headings(profile)).toEqual(expect.arrayContaining(['Chapter One', 'Chapter Two']));
  });

  it('refuses an EPUB with no text, naming it, and stores nothing', async () => {
    const error = await refuse(
      writeEpub('Pictures', [{ file: 'p1.xhtml', xhtml: xhtml('<img src="p1.png"/>') }]),
      'pictures.epub',
    );
    expect(error).toMatchObject({ code: 'invalid_argument' });
    expect(error.message).toMatch(/^pictures\.epub has no text to read.*Nothing was imported/);
    expect(await call(env.studio, 'profiles/list', { characterId })).toEqual([]);
  });

  it('refuses a zip whose paths escape its folder, whatever else it holds', async () => {
    for (const name of ['../escape.xhtml', 'OEBPS/../../etc/passwd', '/abs.xhtml', 'C:/windows.xhtml']) {
      const entries = epubEntries('Escape', [{ file: 'ch1.xhtml', xhtml: xhtml('<p>Good text.</p>') }]);
      const error = await refuse(writeZip([...entries, { name, data: 'bad' }]), 'escape.epub');
      expect(error.message).toMatch(
        /^escape\.epub holds a file named ".*", which points outside the archive's own folder/,
      );
    }
    expect(await call(env.studio, 'profiles/list', { characterId })).toEqual([]);
  });
});

/** A page of a book: a running head, the body lines from `top` down, a page number at the foot. */
function bookPage(number: number, body: readonly (string | null)[], top = 520): PdfLine[] {
  const lines: PdfLine[] = [{ text: 'THE LIFE OF MARY ANNING', y: 565, size: 8 }];
  let y = top;
  for (const line of body) {
    if (line === null) {
      y -= 8; // a paragraph gap on top of the line spacing
      continue;
    }
    const heading = line.startsWith('#');
    lines.push({ text: heading ? line.slice(1) : line, y, size: heading ? 18 : 11 });
    y -= heading ? 26 : 14;
  }
  lines.push({ text: String(number), y: 30, size: 9 });
  return lines;
}

describe('.pdf', () => {
  it('joins lines into paragraphs, drops running heads and page numbers, finds headings by size', async () => {
    const profile = await importFile(
      writePdf([
        bookPage(1, [
          '#Early Years',
          'Mary Anning was born in Lyme',
          'Regis in 1799, to a poor family.',
          null,
          'Her father sold fossils to tour-',
          'ists on the coast road and',
        ]),
        bookPage(2, ['taught her to look for them.', null, '#The Great Finds', 'In 1811 her brother found a skull.']),
        bookPage(3, ['She found the rest of it a year later.']),
      ]),
      'anning.pdf',
    );
    const text = allText(profile);
    expect(text).not.toMatch(/THE LIFE OF MARY ANNING/);
    expect(text).not.toMatch(/^\d+$/m);
    // The first heading titles the profile, as a Markdown file's does.
    expect(profile.title).toBe('Early Years');
    expect(profile.chunks[0]!.text).toBe('Mary Anning was born in Lyme Regis in 1799, to a poor family.');
    // A hyphenated word joined, and a paragraph cut by the page break carried on.
    expect(text).toContain('Her father sold fossils to tourists on the coast road and taught her to look for them.');
    expect(text).toContain('# The Great Finds\nIn 1811 her brother found a skull.');
    expect(text).toContain('She found the rest of it a year later.');
    expect(headings(profile)).toEqual([null, null, 'The Great Finds', null]);
  });

  it('refuses a password-protected PDF and a PDF without text, naming them, and stores nothing', async () => {
    const locked = await refuse(writePdf([[{ text: 'Secret', y: 300 }]], { encrypted: true }), 'locked.pdf');
    expect(locked).toMatchObject({ code: 'unsupported_file' });
    expect(locked.message).toMatch(/^locked\.pdf is protected by a password.*save a copy without the password/);
    const scan = await refuse(writePdf([[], []]), 'scan.pdf');
    expect(scan.message).toMatch(/^scan\.pdf has no text layer.*OCR/);
    const broken = await refuse(Buffer.from('%PDF-1.4\nnot really a pdf at all'), 'broken.pdf');
    expect(broken.message).toMatch(/^broken\.pdf is damaged or not a PDF/);
    expect(await call(env.studio, 'profiles/list', { characterId })).toEqual([]);
  });

  it('refuses a PDF over the page cap and a file over the size cap with what to do', async () => {
    const pages = Array.from({ length: 6 }, (_, i) => [{ text: `Page ${i} text.`, y: 300 }]);
    await expect(readManuscript(writePdf(pages), 'long.pdf', { ...MANUSCRIPT_LIMITS, maxPdfPages: 5 })).rejects.toThrow(
      /^long\.pdf has 6 pages; a profile may come from at most 5\. Split the PDF/,
    );
    const huge = await refuse(Buffer.alloc(MANUSCRIPT_LIMITS.maxFileBytes + 1, 0x20), 'huge.pdf');
    expect(huge).toMatchObject({ code: 'too_large' });
    expect(huge.message).toMatch(/^huge\.pdf is 12\.0 MB; a manuscript can be at most 12\.0 MB\. Split it/);
    expect(await call(env.studio, 'profiles/list', { characterId })).toEqual([]);
  });
});

describe('the reading thread', () => {
  let script: string;
  beforeAll(async () => {
    // The worker as the app ships it: bundled by esbuild, pdfjs-dist left to node_modules.
    script = path.resolve('.cache/test-manuscript-worker/manuscript-worker.mjs');
    await build({
      entryPoints: { 'manuscript-worker': 'main/core/manuscripts/worker.ts' },
      outdir: path.dirname(script),
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['pdfjs-dist'],
      logLevel: 'warning',
      banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    });
  });

  it('reads on a worker thread while this thread keeps turning, and gives up on a file that takes too long', async () => {
    const reader = new WorkerManuscriptReader(script);
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const text = await reader.read(writeDocx([{ text: 'Chapter', style: 'Heading1' }, { text: 'Words.' }]), 'a.docx');
    clearInterval(ticker);
    expect(text).toBe('# Chapter\n\nWords.');
    expect(turns).toBeGreaterThan(0);
    const failure = await reader
      .read(writePdf([[{ text: 'x', y: 10 }]], { encrypted: true }), 'locked.pdf')
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({
      code: 'unsupported_file',
      message: expect.stringMatching(/^locked\.pdf is protected/),
    });
    const impatient = new WorkerManuscriptReader(script, { ...MANUSCRIPT_LIMITS, timeoutMs: 1 });
    await expect(impatient.read(writePdf([[{ text: 'x', y: 10 }]]), 'slow.pdf')).rejects.toThrow(
      /^slow\.pdf took longer than 0 s to read and was given up on/,
    );
  });
});
