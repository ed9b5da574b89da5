/** What the report's SVG documents share: their fonts, and text made safe and short for markup. */

/** System fonts only: GitHub shows an SVG through an <img>, which loads no web fonts. */
export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export const esc = (s: string) => String(s).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
// Rounded so the files stay small and diffable; non-finite becomes 0 so "NaN" can never reach an attribute.
export const n = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : 0);
export const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, Math.max(1, max - 1))}…` : s);
