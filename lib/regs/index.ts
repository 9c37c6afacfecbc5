/**
 * Device registers for real: register windows (MMIO through /dev/mem, /dev/gpiomem, UIO, PCI BAR
 * files, or any file), barriers, driver helpers that also run on the simulator, and port I/O.
 */
export { RegisterWindow, openRegisterWindow, type RegisterWindowOptions } from './window';
export { barriers, compilerBarrier, fullBarrier, storeBarrier, loadBarrier, dsbSy, dsbSt, type NativeBarriers } from './barriers';
export {
  setBits,
  clearBits,
  writeField,
  readField,
  readRegister,
  writeRegister,
  pollUntil,
  pollUntilAsync,
  readRegisters,
  type PollOptions,
  type AsyncPollOptions,
  type PollResult,
  type PollTimeoutError,
} from './helpers';
export {
  findPciDevices,
  openPciBar,
  openUio,
  parsePciResources,
  normalizeBdf,
  type PciDevice,
  type PciResource,
  type PciBarOptions,
  type UioOptions,
  type SysfsOptions,
} from './pci';
export { Ports, openPorts, type PortOptions } from './ports';
