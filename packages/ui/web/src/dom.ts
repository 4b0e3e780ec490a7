/** Small DOM helpers, so the views read as the structure they build. */

export interface Attributes {
  readonly className?: string;
  /** `data-testid`: the end-to-end tests find elements by it. */
  readonly testid?: string;
  readonly dataset?: Readonly<Record<string, string>>;
  readonly title?: string;
  readonly [attribute: string]: string | Readonly<Record<string, string>> | undefined;
}

export type Child = Node | string | null | undefined | false;

/** An element with attributes and children (strings become text; null, undefined and false nothing). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (name === 'className') element.className = value as string;
    else if (name === 'testid') element.dataset.testid = value as string;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value as string);
  }
  append(element, ...children);
  return element;
}

/** Replaces an element's children (null, undefined and false being none). */
export function replace(parent: Element, ...children: readonly Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

export function append(parent: Element, ...children: readonly Child[]): void {
  for (const child of children)
    if (child !== null && child !== undefined && child !== false) parent.append(child);
}

/** The element with this id, which index.html provides. */
export function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element;
}

/** A link to a record: clicking it seeks there (see links.ts). */
export function seqLink(seq: number, text: string = `seq ${seq}`): HTMLAnchorElement {
  return el('a', { href: `#seq=${seq}`, dataset: { seq: String(seq) } }, text);
}

/** A link to an address (`<space>:<0xva>`): clicking it opens the hex view there (see links.ts). */
export function addressLink(address: string): HTMLAnchorElement {
  return el('a', { href: '#', dataset: { address } }, address);
}

/** Whether keys typed now belong to a form field rather than to the page's shortcuts. */
export function typingInField(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target instanceof HTMLElement && target.isContentEditable)
  );
}
