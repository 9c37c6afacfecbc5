/** The simulator: simulated hardware on a physical bus, and simulated virtual memory. */
export * from './vm';
export * from './gpio';
