/**
 * The page: a scene list, one scene at a time, Step / Back / Run / Reset, and the URL hash
 * (#scene=fault&step=3&…options) as the single source of truth, so that every view can be shared
 * and reloaded.
 */
import { h } from './dom';
import type { OptionValue, Scene, SceneOption } from './scene';
import { cowScene } from './scenes/cow';
import { devicesScene } from './scenes/devices';
import { doorbellScene } from './scenes/doorbell';
import { faultScene } from './scenes/fault';
import { lanesScene } from './scenes/lanes';
import { tlbScene } from './scenes/tlb';

export const scenes: readonly Scene[] = [faultScene, cowScene, tlbScene, doorbellScene, lanesScene, devicesScene];

interface State {
  scene: Scene;
  step: number;
  options: Record<string, OptionValue>;
}

function parseOption(o: SceneOption, raw: string | null): OptionValue {
  if (raw === null) return o.default;
  switch (o.kind) {
    case 'boolean':
      return raw === '1' || raw === 'true';
    case 'number': {
      const n = raw.startsWith('0x') ? Number.parseInt(raw.slice(2), 16) : Number(raw);
      if (!Number.isInteger(n)) return o.default;
      return Math.min(o.max ?? n, Math.max(o.min ?? n, n));
    }
    case 'choice':
      return o.choices?.includes(raw) ? raw : o.default;
    default:
      return raw.slice(0, 200);
  }
}

function readHash(): State {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const scene = scenes.find((s) => s.id === params.get('scene')) ?? scenes[0];
  const step = Math.min(scene.steps.length, Math.max(0, Number.parseInt(params.get('step') ?? '0', 10) || 0));
  const options: Record<string, OptionValue> = {};
  for (const o of scene.options ?? []) options[o.name] = parseOption(o, params.get(o.name));
  return { scene, step, options };
}

function writeHash(state: State, replace = false): void {
  const params = new URLSearchParams({ scene: state.scene.id, step: String(state.step) });
  for (const o of state.scene.options ?? []) {
    const v = state.options[o.name];
    if (v !== o.default) params.set(o.name, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  const hash = '#' + params.toString();
  if (hash === location.hash) render();
  else if (replace) {
    history.replaceState(null, '', hash);
    render();
  } else location.hash = hash;
}

function optionControl(o: SceneOption, state: State): HTMLElement | null {
  const value = state.options[o.name];
  const set = (v: OptionValue) => writeHash({ ...state, options: { ...state.options, [o.name]: v } });
  if (o.kind === 'hidden') return null;
  if (o.kind === 'boolean') {
    const box = h('input', { type: 'checkbox', name: o.name, checked: value === true }) as HTMLInputElement;
    box.addEventListener('change', () => set(box.checked));
    return h('label', {}, box, o.label);
  }
  if (o.kind === 'choice') {
    const sel = h('select', { name: o.name }, ...(o.choices ?? []).map((c) => h('option', { value: c, selected: c === value }, c))) as HTMLSelectElement;
    sel.addEventListener('change', () => set(sel.value));
    return h('label', {}, o.label, sel);
  }
  const input = h('input', { type: 'number', name: o.name, value: String(value), min: o.min, max: o.max }) as HTMLInputElement;
  input.addEventListener('change', () => set(parseOption(o, input.value)));
  return h('label', {}, o.label, input);
}

function render(): void {
  const state = readHash();
  const { scene, step } = state;
  const nav = document.getElementById('scenes') as HTMLElement;
  nav.replaceChildren(
    ...scenes.map((s, i) =>
      h('a', { href: `#scene=${s.id}&step=0`, 'aria-current': s === scene ? 'page' : undefined, 'data-scene': s.id }, `${i + 1}. ${s.title}`),
    ),
  );
  const main = document.getElementById('scene') as HTMLElement;
  // Keep keyboard focus across the redraw: the same button, field or pin gets it back.
  const active = document.activeElement as HTMLElement | null;
  const focusKey =
    active && main.contains(active)
      ? ['data-action', 'name', 'data-pin'].map((a) => (active.hasAttribute(a) ? `[${a}="${active.getAttribute(a)}"]` : '')).find(Boolean)
      : undefined;
  const go = (n: number) => writeHash({ ...state, step: Math.max(0, Math.min(scene.steps.length, n)) });
  const button = (label: string, action: string, enabled: boolean, onClick: () => void, primary = false) => {
    const b = h('button', { type: 'button', 'data-action': action, disabled: !enabled, class: primary ? 'primary' : undefined }, label) as HTMLButtonElement;
    b.addEventListener('click', onClick);
    return b;
  };
  const last = scene.steps.length;
  const current = step > 0 ? scene.steps[step - 1] : undefined;
  let body: HTMLElement;
  try {
    body = scene.render({ step, options: state.options, setOption: (name, value) => writeHash({ ...state, options: { ...state.options, [name]: value } }) });
  } catch (err) {
    body = h('p', { class: 'miss', role: 'alert' }, `The simulator refused this: ${(err as Error).message}`);
  }
  main.replaceChildren(
    h('h2', {}, scene.title),
    h('p', { class: 'chapter' }, 'Chapter section: ', h('em', {}, scene.chapter)),
    h('p', {}, scene.intro),
    h(
      'div',
      { class: 'controls' },
      button('Reset', 'reset', step > 0, () => go(0)),
      button('Back', 'back', step > 0, () => go(step - 1)),
      button('Step', 'step', step < last, () => go(step + 1), true),
      button('Run', 'run', step < last, () => go(last)),
      ...(scene.options ?? []).map((o) => optionControl(o, state)),
      h('span', { class: 'stepinfo', 'data-k': 'stepinfo' }, `step ${step} of ${last}`),
    ),
    h(
      'div',
      { class: 'explain' },
      current ? h('strong', {}, `${step}. ${current.title}`) : h('strong', {}, 'Press Step to begin.'),
      current ? current.text : null,
    ),
    h('ol', { class: 'steps' }, ...scene.steps.map((s, i) => h('li', { class: i + 1 < step ? 'done' : i + 1 === step ? 'now' : undefined }, s.title))),
    body,
  );
  document.title = `${scene.title} — mmapkit`;
  if (focusKey) {
    const again = main.querySelector<HTMLElement>(focusKey);
    if (again && !(again as HTMLButtonElement).disabled) again.focus();
    else main.querySelector<HTMLElement>('button[data-action=step]:not([disabled]), button[data-action=reset]')?.focus();
  }
}

document.addEventListener('keydown', (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  const target = e.target as HTMLElement | null;
  if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA')) return;
  const state = readHash();
  const last = state.scene.steps.length;
  const go = (n: number) => writeHash({ ...state, step: Math.max(0, Math.min(last, n)) });
  if (e.key === 'ArrowRight' || e.key === 'n') go(state.step + 1);
  else if (e.key === 'ArrowLeft' || e.key === 'p') go(state.step - 1);
  else if (e.key === 'r') go(0);
  else if (e.key === 'e') go(last);
  else if (/^[1-9]$/.test(e.key) && Number(e.key) <= scenes.length) writeHash({ scene: scenes[Number(e.key) - 1], step: 0, options: {} });
  else return;
  e.preventDefault();
});
window.addEventListener('hashchange', render);
if (!location.hash) history.replaceState(null, '', `#scene=${scenes[0].id}&step=0`);
render();
