/** The simulator: simulated hardware on a physical bus, and simulated virtual memory. */
export * from './vm';
export * from './gpio';
export * from './random';
export * from './scheduler';
export * from './device';
export * from './trace';
export * from './bus';
export * from './window';
export * from './devices/uart';
export * from './cpu';
export * from './devices/net';
export * from './scenarios/types';
export * from './scenarios/doorbell';
export * from './devices/edu';
