/**
 * A small XML writer for the Query-protocol responses (EC2 and SNS).
 *
 * Why not fast-xml-parser's XMLBuilder: every response here has a fixed shape
 * (an element per field, lists as repeated `<item>`/`<member>` children, empty
 * lists as `<xSet/>`), and writing that directly keeps element order, empty
 * elements and escaping in one readable place instead of in builder options.
 */
export type XmlScalar = string | number | boolean | Date;
export type XmlValue = XmlScalar | XmlObject | XmlList | undefined | null;
export interface XmlObject {
  readonly [element: string]: XmlValue;
}

/** A list rendered as repeated child elements (`<item>` in EC2, `<member>` in SNS). */
export class XmlList {
  constructor(
    readonly items: readonly XmlValue[],
    readonly itemElement: string,
  ) {}
}

export const items = (values: readonly XmlValue[]): XmlList => new XmlList(values, 'item');
export const members = (values: readonly XmlValue[]): XmlList => new XmlList(values, 'member');

// Characters XML 1.0 cannot carry at all; replaced rather than escaped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function scalarText(value: XmlScalar): string {
  if (value instanceof Date) return value.toISOString();
  return escapeXml(String(value));
}

function renderChildren(value: XmlObject | XmlList): string {
  if (value instanceof XmlList) {
    return value.items.map((item) => renderElement(value.itemElement, item)).join('');
  }
  return Object.entries(value)
    .map(([name, child]) => renderElement(name, child))
    .join('');
}

function renderElement(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object' && !(value instanceof Date)) {
    const inner = renderChildren(value);
    return inner === '' ? `<${name}/>` : `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${scalarText(value)}</${name}>`;
}

/** A whole response document: `<?xml …?><root xmlns="…">…</root>`. */
export function xmlDocument(root: string, namespace: string | undefined, body: XmlObject): string {
  const ns = namespace === undefined ? '' : ` xmlns="${escapeXml(namespace)}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns}>${renderChildren(body)}</${root}>`;
}
