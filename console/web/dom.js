/**
 * The console's only way to put data into the page: elements built with the DOM, text
 * always as text nodes. Nothing here parses markup, so a tag or a script in a consumer's
 * tag value or a person's reason shows as the characters it is.
 */

/** Attributes a caller may set; event handlers go through `on`, never through markup. */
const ATTRIBUTES = new Set([
  'id',
  'class',
  'href',
  'type',
  'name',
  'value',
  'for',
  'role',
  'title',
  'colspan',
  'scope',
  'placeholder',
  'rows',
  'maxlength',
  'required',
  'hidden',
  'disabled',
  'selected',
  'open',
  'tabindex',
  'datetime',
  'lang',
  'autocomplete',
  'spellcheck',
  'aria-label',
  'aria-live',
  'aria-sort',
  'aria-describedby',
  'aria-current',
  'aria-expanded',
  'aria-controls',
  'aria-labelledby',
  'data-endpoint',
  'data-outcome',
  'data-member',
  'data-page',
  'data-key',
]);

/**
 * h('td', { class: 'x' }, 'text', child, [more]) — children are nodes or strings (text);
 * null, undefined and false are left out; `on: { click: fn }` adds listeners.
 */
export function h(tag, attributes = {}, ...children) {
  return build(document.createElement(tag), attributes, children);
}

const SVG = 'http://www.w3.org/2000/svg';
const SVG_ATTRIBUTES = new Set([
  'viewBox',
  'width',
  'height',
  'x',
  'y',
  'class',
  'role',
  'aria-label',
  'focusable',
  'aria-hidden',
]);

/** The same for SVG elements (the chart). */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (!SVG_ATTRIBUTES.has(name)) throw new Error(`svg attribute not allowed: ${name}`);
    element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (name === 'on') {
      for (const [event, listener] of Object.entries(value)) element.addEventListener(event, listener);
    } else if (value === false || value === null || value === undefined) {
      // absent
    } else if (!ATTRIBUTES.has(name)) {
      throw new Error(`attribute not allowed: ${name}`);
    } else if (name === 'href' && !/^(#|\/)/.test(String(value))) {
      throw new Error(`only links within the console: ${value}`);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces what a node holds. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
}
