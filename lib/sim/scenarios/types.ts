/** What every scenario returns: a verdict, a readable trace, and the same facts as JSON. */
export interface SimScenarioResult {
  readonly scenario: string;
  /** Whether the scenario showed what it exists to show. */
  readonly ok: boolean;
  /** One sentence. */
  readonly summary: string;
  /** The readable trace, one line each. */
  readonly lines: readonly string[];
  /** Machine-readable facts (what `mmapkit sim <scenario> --json` prints). */
  readonly data: Record<string, unknown>;
}
