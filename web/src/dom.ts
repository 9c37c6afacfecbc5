/** Small DOM helpers for the scenes: element building and the value cells the browser tests read. */
type Child = Node | string | number | bigint | null | undefined | false;

export function h(tag: string, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** A value shown on the page and read by the tests: `data-k` names it. */
export function val(key: string, value: string | number | bigint, cls = ''): HTMLElement {
  return h('span', { 'data-k': key, class: cls || undefined }, String(value));
}

export function hex(n: number | bigint, width = 0): string {
  return '0x' + n.toString(16).padStart(width, '0');
}

/** A two-column table of named values, each cell tagged for the tests. */
export function valueTable(rows: readonly [label: string, key: string, value: string | number | bigint, cls?: string][]): HTMLElement {
  return h(
    'table',
    {},
    h('tbody', {}, ...rows.map(([label, key, value, cls]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, val(key, value, cls))))),
  );
}

export function panel(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'panel' }, h('h3', {}, title), ...children);
}
