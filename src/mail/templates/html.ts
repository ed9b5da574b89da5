const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => entities[char] as string);
}

/** The frame every mail shares; `body` is HTML the caller has escaped. */
export function layout(title: string, body: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:560px;margin:2em auto;color:#222;overflow-wrap:anywhere">
${body}
<p style="color:#888;font-size:12px">Bookly</p>
</body></html>`;
}

/** `DOMAIN` may carry its own scheme (`https://books.example`); without one, links are http, as in the Python Bookly. */
export function appUrl(domain: string, path: string): string {
  const base = /^https?:\/\//.test(domain) ? domain : `http://${domain}`;
  return `${base.replace(/\/+$/, '')}${path}`;
}
