/** Tiny DOM builder: text is always set as text, never parsed as HTML. */
type Child = Node | string | null | undefined | false;

interface ElementOptions {
  className?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (options.className) element.className = options.className;
  if (options.text !== undefined) element.textContent = options.text;
  if (options.title) element.title = options.title;
  for (const [name, value] of Object.entries(options.attrs ?? {}))
    element.setAttribute(name, value);
  for (const [type, listener] of Object.entries(options.on ?? {})) {
    element.addEventListener(type, listener as EventListener);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** A labelled button; `shortcut` is shown in the tooltip. */
export function button(
  label: string,
  onClick: () => void,
  options: { title?: string; shortcut?: string; className?: string; ariaLabel?: string } = {},
): HTMLButtonElement {
  const title = [options.title ?? label, options.shortcut ? `(${options.shortcut})` : '']
    .filter(Boolean)
    .join(' ');
  const element = h('button', {
    className: options.className ?? 'btn',
    text: label,
    title,
    attrs: { type: 'button', ...(options.ariaLabel ? { 'aria-label': options.ariaLabel } : {}) },
  });
  element.addEventListener('click', onClick);
  return element;
}

export function clear(element: Element): void {
  element.replaceChildren();
}
