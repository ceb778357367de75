import { writeZip, type ZipEntryInput } from './zip';

/**
 * Small, valid manuscripts written from the formats' specifications, for the importers' tests:
 * a .docx (ECMA-376: content types, package relationships, word/document.xml with paragraph
 * styles) and an EPUB 3 (mimetype stored first, container.xml, a package document with manifest
 * and spine, XHTML chapters). PDFs are written by pdf-writer.ts.
 */
export interface DocxParagraph {
  text: string;
  /** A paragraph style id: `Heading1`, `Title`… */
  style?: string;
}

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function docxEntries(paragraphs: readonly DocxParagraph[]): ZipEntryInput[] {
  const body = paragraphs
    .map(
      (p) =>
        `<w:p>${p.style ? `<w:pPr><w:pStyle w:val="${p.style}"/></w:pPr>` : ''}<w:r><w:t xml:space="preserve">${xmlEscape(p.text)}</w:t></w:r></w:p>`,
    )
    .join('');
  return [
    {
      name: '[Content_Types].xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
    },
    {
      name: '_rels/.rels',
      data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
    },
    {
      name: 'word/document.xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
    },
  ];
}

export function writeDocx(paragraphs: readonly DocxParagraph[]): Buffer {
  return writeZip(docxEntries(paragraphs));
}

export interface EpubChapter {
  /** File name inside OEBPS/. */
  file: string;
  xhtml: string;
  /** Left out of the reading order (`linear="no"`). */
  nonLinear?: boolean;
}

/** An EPUB 3 whose spine lists `spine` (file names) in that order; the manifest lists the chapters as given. */
export function epubEntries(
  title: string,
  chapters: readonly EpubChapter[],
  spine?: readonly string[],
): ZipEntryInput[] {
  const order = spine ?? chapters.map((c) => c.file);
  const id = (file: string) => `c-${file.replace(/[^a-z0-9]/gi, '_')}`;
  const manifest = chapters
    .map((c) => `<item id="${id(c.file)}" href="${c.file}" media-type="application/xhtml+xml"/>`)
    .join('');
  const itemrefs = order
    .map((file) => {
      const chapter = chapters.find((c) => c.file === file);
      return `<itemref idref="${id(file)}"${chapter?.nonLinear ? ' linear="no"' : ''}/>`;
    })
    .join('');
  return [
    { name: 'mimetype', data: 'application/epub+zip', store: true },
    {
      name: 'META-INF/container.xml',
      data: `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
    },
    {
      name: 'OEBPS/content.opf',
      data: `<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:uuid:1</dc:identifier><dc:title>${xmlEscape(title)}</dc:title><dc:language>en</dc:language></metadata><manifest>${manifest}</manifest><spine>${itemrefs}</spine></package>`,
    },
    ...chapters.map((c) => ({ name: `OEBPS/${c.file}`, data: c.xhtml })),
  ];
}

export function writeEpub(title: string, chapters: readonly EpubChapter[], spine?: readonly string[]): Buffer {
  return writeZip(epubEntries(title, chapters, spine));
}

export function xhtml(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title><style>p{}</style></head><body>${body}</body></html>`;
}
