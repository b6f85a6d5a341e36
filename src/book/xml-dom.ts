import { isTag, isText, type AnyNode, type Element } from 'domhandler';
import { parseDocument } from 'htmlparser2';

export type { Element };

/** An XML document (container, OPF, NCX): names keep their case and prefix. */
export function parseXml(text: string): Element[] {
  return parseDocument(text, { xmlMode: true }).children.filter(isTag);
}

/** An XHTML document, parsed leniently as HTML (books carry HTML entities and stray markup). */
export function parseXhtml(text: string): Element[] {
  return parseDocument(text, {
    lowerCaseTags: true,
    lowerCaseAttributeNames: false,
    recognizeSelfClosing: true,
  }).children.filter(isTag);
}

/** The name without its namespace prefix, lower case (`dc:Title` -> `title`). */
export function localName(element: Element): string {
  const name = element.name;
  return name.slice(name.indexOf(':') + 1).toLowerCase();
}

/** An attribute by its local name (`epub:type` found as `type` only when asked as `epub:type`). */
export function attribute(element: Element, name: string): string | undefined {
  return element.attribs[name] ?? element.attribs[name.toLowerCase()];
}

/** Every element under `roots` (depth first, document order) for which `test` holds. */
export function findAll(roots: readonly AnyNode[], test: (element: Element) => boolean): Element[] {
  const found: Element[] = [];
  const visit = (nodes: readonly AnyNode[]) => {
    for (const node of nodes) {
      if (!isTag(node)) continue;
      if (test(node)) found.push(node);
      visit(node.children);
    }
  };
  visit(roots);
  return found;
}

/** The first element named `name` (local name) under `roots`. */
export function findFirst(roots: readonly AnyNode[], name: string): Element | undefined {
  return findAll(roots, (element) => localName(element) === name)[0];
}

/** The element's direct children that are elements named `name` (local name). */
export function childrenNamed(element: Element, name: string): Element[] {
  return element.children.filter((node): node is Element => isTag(node) && localName(node) === name);
}

/** All text under `node`, as written. */
export function textOf(node: AnyNode): string {
  if (isText(node)) return node.data;
  if (!isTag(node)) return '';
  return node.children.map(textOf).join('');
}
