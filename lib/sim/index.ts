// The simulator: filled in by its issues.
export {};
