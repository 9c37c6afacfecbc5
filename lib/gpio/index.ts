/**
 * Raspberry Pi GPIO, Pi 1 to Pi 5: detect the board, probe every pin, drive pins. One code path
 * over RegisterIO: the same driver runs on a native register window (/dev/gpiomem, /dev/gpiomem0,
 * /dev/mem) and on the simulated BCM2835, BCM2711 and RP1 blocks in lib/sim/gpio.
 */
export type { GpioFunction, GpioPull, GpioChipDriver, GpioPinState } from './chips';
export { detectRaspberryPi, parseSocRanges, socFromRevision } from './detect';
export type { RaspberryPiInfo, RaspberryPiSoc, DetectRaspberryPiOptions } from './detect';
export { gpioAltFunctions, gpioDefaultPull, GPIO_PIN_COUNTS, GPIO_ALT_COUNTS } from './tables';
export type { GpioChipKind } from './tables';
export { formatGpioPinctrl, formatGpioRaspiGpio, formatGpioFuncs, formatGpioFuncsPinctrl } from './format';
export { RaspberryPiGpio, openRaspberryPiGpio, parseGpioFunction, parseGpioPins, type OpenRaspberryPiGpioOptions } from './raspberry-pi-gpio';

// The GPIO character device (any Linux GPIO chip) and its simulated twin.
export { listGpioChips, openGpioChip, findGpioLine, gpioChipPaths, GpioChardevChip, ChardevLineRequest } from './chardev';
export { openSimGpioChip, SimGpioChip, SimLineRequest, type SimGpioChipOptions } from './chardev-sim';
export { GpioLineRequestBase } from './chardev-request';
export { GPIO_LINE_FLAG } from './chardev-types';
export type {
  GpioChipInfo,
  GpioLineInfo,
  GpioLineSettings,
  GpioRequestOptions,
  GpioEdgeEvent,
  GpioLineInfoChange,
  GpioLineInfoChangeType,
  GpioLineDirection,
  GpioLineEdge,
  GpioLineBias,
  GpioLineDrive,
  GpioEventClock,
  GpioChipLike,
  GpioLineRequestLike,
} from './chardev-types';
