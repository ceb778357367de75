import type http from 'node:http';
import type { StudioError } from '../../common/contract';
import { runSliced, type Steps } from '../core/time-slices';
import { writePieces } from './json-steps';

/**
 * How the web door answers: the security headers every response carries, JSON results (whole, or
 * in pieces so a large one does not hold the event loop), `{error}` bodies and the small HTML page
 * shown to a browser that cannot be let in. Its own file because none of it knows about routing,
 * tokens or the studio: `WebServer` decides what to answer, this writes it.
 */

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function setSecurityHeaders(res: http.ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body));
}

/** Sends `data`, a JSON text. */
function sendText(res: http.ServerResponse, status: number, data: string): void {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(data),
    'Cache-Control': 'no-store',
  });
  res.end(data);
}

/** Sends a JSON text given in pieces (`jsonPieces`), a slice of them at a time. */
export async function sendPieces(res: http.ServerResponse, status: number, pieces: readonly string[]): Promise<void> {
  if (pieces.length <= 1) return sendText(res, status, pieces[0] ?? '');
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': await runSliced(byteLengthSteps(pieces)),
    'Cache-Control': 'no-store',
  });
  await writePieces(res, pieces);
}

function* byteLengthSteps(pieces: readonly string[]): Steps<number> {
  let bytes = 0;
  for (const piece of pieces) {
    bytes += Buffer.byteLength(piece);
    yield;
  }
  return bytes;
}

export function sendError(res: http.ServerResponse, status: number, error: StudioError): void {
  sendJson(res, status, { error });
}

export function sendPage(res: http.ServerResponse, status: number, message: string): void {
  const html = `<!doctype html><meta charset="utf-8"><title>Character Studio</title><body style="font-family:sans-serif;padding:3rem;max-width:40rem"><h1>Character Studio</h1><p>${escapeHtml(message)}</p></body>`;
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
