import { parse, type DefaultTreeAdapterTypes } from 'parse5';

/**
 * The elements of a small XML file (an EPUB's container.xml or package document), read with parse5:
 * enough for attribute and text look-ups, not a validating XML parser. Names come lower-cased and
 * without their namespace prefix (`opf:item` → `item`, `dc:title` → `title`).
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  text: string;
}

export function xmlElements(xml: string): XmlElement[] {
  const found: XmlElement[] = [];
  const stack: DefaultTreeAdapterTypes.Node[] = [parse(xml)];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!('childNodes' in node)) continue;
    if ('attrs' in node) {
      const attributes: Record<string, string> = {};
      for (const attr of node.attrs) attributes[attr.name.toLowerCase().replace(/^.*:/, '')] = attr.value;
      const text = node.childNodes
        .map((child) => (child.nodeName === '#text' ? (child as DefaultTreeAdapterTypes.TextNode).value : ''))
        .join('')
        .trim();
      found.push({ name: node.nodeName.toLowerCase().replace(/^.*:/, ''), attributes, text });
    }
    for (let i = node.childNodes.length - 1; i >= 0; i--) stack.push(node.childNodes[i]!);
  }
  return found;
}
