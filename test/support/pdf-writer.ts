/**
 * A minimal PDF 1.4 writer for tests: one Helvetica font, pages of text lines placed at given
 * heights, a correct cross-reference table, and optionally a standard-security `/Encrypt`
 * dictionary whose `/U` no password matches, which is what a reader meets in a password-protected
 * file. Written by hand from ISO 32000-1 §7.5 (file structure) and §9.4 (text objects).
 */
export interface PdfLine {
  text: string;
  /** Baseline height from the page's bottom edge, in points (1/72 inch). */
  y: number;
  x?: number;
  /** Font size in points (default 11). */
  size?: number;
}

export interface PdfOptions {
  /** Adds an /Encrypt dictionary: the file then needs a password to open. */
  encrypted?: boolean;
  /** Page size in points (default A5: 420 × 595). */
  width?: number;
  height?: number;
}

function escapePdfString(text: string): string {
  return text.replace(/[\\()]/g, (c) => `\\${c}`);
}

export function writePdf(pages: readonly (readonly PdfLine[])[], options: PdfOptions = {}): Buffer {
  const width = options.width ?? 420;
  const height = options.height ?? 595;
  const objects: string[] = [];
  const add = (body: string): number => objects.push(body);
  const catalog = add('');
  const pagesObject = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  for (const lines of pages) {
    const stream = lines
      .map((line) => `BT /F1 ${line.size ?? 11} Tf ${line.x ?? 50} ${line.y} Td (${escapePdfString(line.text)}) Tj ET`)
      .join('\n');
    const content = add(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
    kids.push(
      add(
        `<< /Type /Page /Parent ${pagesObject} 0 R /MediaBox [0 0 ${width} ${height}] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`,
      ),
    );
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObject} 0 R >>`;
  objects[pagesObject - 1] =
    `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  const encrypt = options.encrypted
    ? add(`<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <${'ab'.repeat(32)}> /U <${'cd'.repeat(32)}> >>`)
    : null;
  let out = '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  const id = '<0123456789abcdef0123456789abcdef>';
  out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R${encrypt ? ` /Encrypt ${encrypt} 0 R /ID [${id} ${id}]` : ''} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
