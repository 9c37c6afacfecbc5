// The simulated virtual-memory system (page tables, faults, page cache, COW, TLB).
export {};
