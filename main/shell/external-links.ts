/** Sites the desktop app may open in the user's browser. Everything else is refused. */
const ALLOWED_HOSTS = new Set([
  'huggingface.co',
  'github.com',
  'arxiv.org',
  'aclanthology.org',
  'ollama.com',
  'lmstudio.ai',
  'openrouter.ai',
  'platform.openai.com',
  'en.wikipedia.org',
]);

export function isAllowedExternalUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' && ALLOWED_HOSTS.has(url.hostname) && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
