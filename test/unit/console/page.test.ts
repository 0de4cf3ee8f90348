/** The only HTML the server writes into: every value escaped, every placeholder filled. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, PageTemplateError, renderPage } from '../../../console/server/page.ts';

const decodeEntities = (html: string) =>
  html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&amp;/g, '&');

describe('escapeHtml', () => {
  it('leaves no character that could open a tag, an attribute or an entity, and loses nothing', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('<', '>', '&', '"', "'", '`', 'a', ' ', '=', ';', '#') }),
        (text) => {
          const escaped = escapeHtml(text);
          return (
            !/[<>"'`]/.test(escaped) &&
            !escaped.replace(/&(amp|lt|gt|quot|#39|#96);/g, '').includes('&') &&
            decodeEntities(escaped) === text
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('turns markup into text', () => {
    expect(escapeHtml('<img src=x onerror="alert(1)">')).toBe(
      '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;',
    );
  });
});

describe('renderPage', () => {
  it('fills each placeholder with its value escaped', () => {
    expect(renderPage('<meta content="{{csrf}}">', { csrf: '"><script>x</script>' })).toBe(
      '<meta content="&quot;&gt;&lt;script&gt;x&lt;/script&gt;">',
    );
  });

  it('refuses a placeholder it has no value for', () => {
    expect(() => renderPage('{{csrf}} {{other}}', { csrf: 'a' })).toThrow(PageTemplateError);
  });
});
