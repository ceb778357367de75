import { fileSize } from '../../common/file-size';

/** A page for the small window shown while opening blocks the main process (plain text; no script runs there). */
function noticePage(title: string, text: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Character Studio</title>' +
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'"></head>' +
    '<body style="margin:0;padding:26px 28px;font:14px/1.5 system-ui,sans-serif;color:#1f1d2b;background:#f6f5f2">' +
    `<strong style="font-size:15px">${title}</strong>` +
    `<p style="margin:8px 0 0;color:#5d5a6b">${text}</p>` +
    '</body></html>'
  );
}

/** What the window says while the database is brought up to date. */
export function upgradeNotice(step: { from: number; to: number }): string {
  return noticePage(
    'Updating the studio database…',
    `Your data (schema ${step.from}) is being brought up to this version's (schema ${step.to}). ` +
      'With a large dataset this can take a minute; the studio opens when it is done.',
  );
}

/** What the window says while every page of the database is read after an unclean shutdown. */
export function checkNotice(check: { bytes: number }): string {
  return noticePage(
    'Checking the studio database…',
    `The studio was not shut down cleanly last time, so every page of your data (${fileSize(check.bytes)}) is read ` +
      'before it opens. With a large dataset this can take a minute; the studio opens when it is done.',
  );
}
