// Simulated Raspberry Pi GPIO blocks (BCM2835/2837, BCM2711, RP1).
export {};
