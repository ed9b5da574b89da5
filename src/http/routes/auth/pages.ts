import type { FastifyRequest } from 'fastify';
import type { ErrorDetail } from '../../../errors.js';
import { escapeHtml } from '../../../mail/templates/html.js';
import { docsPath } from '../../plugins/docs.js';

/** A browser following a link from a mail (it asks for HTML); any other client gets JSON. */
export function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/.test(request.headers.accept ?? '');
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><link rel="icon" href="data:,">
<title>${escapeHtml(title)} · Bookly</title>
<style>body{font-family:system-ui,sans-serif;max-width:32em;margin:3em auto;padding:0 1em;color:#222;background:#fff;overflow-wrap:anywhere}
a{color:#1a5fb4}label{display:block;margin:1em 0 .3em}input{width:100%;padding:.5em;font-size:1em;box-sizing:border-box}
button{margin-top:1.2em;padding:.6em 1.4em;font-size:1em}.error{color:#b00020}.next{margin-top:2em}
@media (prefers-color-scheme:dark){body{color:#e6e6e3;background:#15171a}a{color:#7fb0ff}.error{color:#ff8a80}}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

/** Where a person goes from a page: every page a mail's link opens says what to do next. */
export interface NextStep {
  readonly href: string;
  readonly label: string;
}

/**
 * An operation of the docs page. Bookly has no login or request pages of its own: they are
 * operations there, and Swagger UI's deep link (`#/TAG/METHOD` and the path with every non-word
 * character an underscore, when the operation has no `operationId`) opens the one meant.
 */
function docsOperation(tag: string, method: string, path: string): string {
  return `${docsPath}#/${tag}/${method}${path.replace(/\W/g, '_')}`;
}

export const signInNext: NextStep = { href: docsOperation('auth', 'post', '/api/v1/auth/login'), label: 'Log in on the API docs page' };

export const newVerificationLinkNext: NextStep = {
  href: docsOperation('auth', 'post', '/api/v1/auth/resend-verification'),
  label: 'Ask for a new verification link on the API docs page',
};

export const newResetLinkNext: NextStep = {
  href: docsOperation('auth', 'post', '/api/v1/auth/password-reset-request'),
  label: 'Ask for a new reset link on the API docs page',
};

/** A page says the API's message as a sentence: the JSON messages end without a full stop. */
function asSentence(message: string): string {
  return /[.!?]$/.test(message) ? message : `${message}.`;
}

export function messagePage(title: string, message: string, next?: NextStep): string {
  const onward = next ? `<p class="next"><a href="${escapeHtml(next.href)}">${escapeHtml(next.label)}</a></p>` : '';
  return page(title, `<p>${escapeHtml(asSentence(message))}</p>${onward}`);
}

/** The detail a password mismatch carries; the JSON answer names the field, the form says it in words. */
export const passwordMismatch = 'must match new_password';

/** The reset form's fields as its labels speak of them. */
const resetFieldNames: Readonly<Record<string, string>> = {
  'body.new_password': 'The new password',
  'body.confirm_new_password': 'The password typed again',
};

/** What was wrong with a posted reset form, in the words of the form rather than its field names. */
export function resetFormProblem(details: readonly ErrorDetail[] | undefined, fallback: string): string {
  const sentences = (details ?? []).map((detail) => {
    if (detail.field === 'body.confirm_new_password' && detail.message === passwordMismatch) {
      return 'The two passwords are not the same: type the same new password in both fields.';
    }
    const name = resetFieldNames[detail.field];
    return name ? `${name} ${detail.message}.` : undefined;
  });
  return sentences.length > 0 && sentences.every((sentence) => sentence !== undefined) ? sentences.join(' ') : fallback;
}

export function resetFormPage(error?: string): string {
  // No action: the form posts to the page's own URL, which carries the token.
  return page(
    'Choose a new password',
    `${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post">
<label for="new_password">New password (8 to 128 characters)</label>
<input id="new_password" name="new_password" type="password" minlength="8" maxlength="128" required autocomplete="new-password">
<label for="confirm_new_password">The same again</label>
<input id="confirm_new_password" name="confirm_new_password" type="password" minlength="8" maxlength="128" required autocomplete="new-password">
<button type="submit">Set password</button>
</form>`,
  );
}
