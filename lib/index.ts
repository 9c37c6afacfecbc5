/**
 * mmapkit: real memory mapping for Node.js — files, anonymous and shared memory, device registers —
 * and a simulator of the same machinery.
 */
export * from './errors';
export * from './interfaces';
export * from './mapping';
export * from './files';
export * from './shm';
export * from './regs';
export * from './sim';
export * from './gpio';
export * from './csv';
