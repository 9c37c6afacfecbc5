/**
 * What a scene is: a list of steps over one simulated machine. The page never animates numbers
 * itself: to show step k it builds a fresh simulator, replays steps 1..k on it (every scene is
 * deterministic) and draws what the simulator then reports. So Back, a reload and a shared URL
 * all show exactly the same state.
 */
export type OptionValue = string | number | boolean;

export interface SceneOption {
  name: string;
  label: string;
  kind: 'choice' | 'number' | 'boolean' | 'hidden';
  choices?: readonly string[];
  min?: number;
  max?: number;
  default: OptionValue;
}

export interface SceneStep {
  title: string;
  /** What this step shows, in the chapter's terms. */
  text: string;
}

export interface SceneContext {
  step: number;
  options: Record<string, OptionValue>;
  /** Change an option (a pin clicked, a box ticked): the page updates the URL and redraws. */
  setOption(name: string, value: OptionValue): void;
}

export interface Scene {
  id: string;
  title: string;
  /** The chapter's section this scene illustrates. */
  chapter: string;
  intro: string;
  options?: readonly SceneOption[];
  steps: readonly SceneStep[];
  /** Replays steps 1..ctx.step on a fresh simulator and returns what to show. */
  render(ctx: SceneContext): HTMLElement;
}
