/** Drivers written once against the register and port interfaces: they run on real and simulated hardware. */
export * from './cmos';
export * from './edu';
export * from './uart';
