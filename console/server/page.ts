/**
 * The one HTML page the server writes anything into: index.html with this run's CSRF token.
 * Everything else is data the page's scripts put into the document as text.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text made safe to stand in an HTML element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c);
}

export class PageTemplateError extends Error {
  override name = 'PageTemplateError';
}

/** Fills each `{{name}}` of the template with its value, escaped; a name without a value is an error. */
export function renderPage(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{([a-zA-Z]+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new PageTemplateError(`page template: no value for {{${name}}}`);
    return escapeHtml(value);
  });
}
