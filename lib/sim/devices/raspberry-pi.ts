/**
 * Simulated Raspberry Pi boards ('pi1' … 'pi5'): the board's GPIO chip (bcm2835-gpio.ts,
 * bcm2711-gpio.ts or rp1-gpio.ts) and the description detection would give on the real board, for
 * `mmapkit gpio --sim` and for tests.
 */
import { codedError } from '../../errors';
import { invalidType, toBool, toOptions } from '../../validate';
import type { RaspberryPiInfo } from '../../gpio/detect';
import { BCM_FSEL_MASK, BCM_GPSET0, RP1_CTRL_FUNCSEL_MASK, bcmFselField, rp1PinRegisters } from '../../gpio/regmap';
import type { SimBcmGpioBlock } from './bcm-gpio';
import { SimBcm2835Gpio } from './bcm2835-gpio';
import { SimBcm2711Gpio } from './bcm2711-gpio';
import type { SimGpioOptions } from './gpio-base';
import { SimRp1Gpio } from './rp1-gpio';

/** A simulated board: its GPIO block and the description detection would give. */
export type SimRaspberryPiModel = 'pi1' | 'pi2' | 'pi3' | 'pi4' | 'pi5';

export interface SimRaspberryPiBoard {
  gpio: SimBcm2835Gpio | SimBcm2711Gpio | SimRp1Gpio;
  info: RaspberryPiInfo;
}

export interface SimRaspberryPiOptions extends SimGpioOptions {
  /**
   * Set the pins up as a booted Pi OS leaves them (I2C1 on GPIO2/3, the console UART on
   * GPIO14/15). Default true; false leaves every register at its reset value.
   */
  booted?: boolean;
}

/** Builds a simulated board ('pi1' … 'pi5') for `mmapkit gpio --sim` and for tests. */
export function simRaspberryPi(model: SimRaspberryPiModel, options: SimRaspberryPiOptions = {}): SimRaspberryPiBoard {
  if (typeof model !== 'string') throw invalidType('model', "one of 'pi1', 'pi2', 'pi3', 'pi4', 'pi5'", model);
  options = toOptions<SimRaspberryPiOptions>(options, 'options', ['writable', 'booted']);
  const booted = options.booted === undefined ? true : toBool(options.booted, 'options.booted');
  if (options.writable !== undefined) toBool(options.writable, 'options.writable');
  const writable = { writable: true };
  const sources = { soc: 'simulation', peripheralBase: 'simulation' };
  let board: SimRaspberryPiBoard;
  const setFsel = (g: SimBcmGpioBlock, pin: number, code: number) => {
    const { offset, shift } = bcmFselField(pin);
    g.write32(offset, ((g.read32(offset) & ~(BCM_FSEL_MASK << shift)) | (code << shift)) >>> 0);
  };
  switch (model) {
    case 'pi1':
    case 'pi2':
    case 'pi3': {
      const g = new SimBcm2835Gpio(writable);
      const soc = model === 'pi1' ? 'BCM2835' : model === 'pi2' ? 'BCM2836' : 'BCM2837';
      const base = model === 'pi1' ? 0x20000000 : 0x3f000000;
      if (booted) {
        setFsel(g, 2, 4);
        setFsel(g, 3, 4); // SDA1/SCL1
        const uart = model === 'pi3' ? 2 : 4; // Pi 3: mini UART (ALT5 TXD1/RXD1); else PL011 (ALT0)
        setFsel(g, 14, uart);
        setFsel(g, 15, uart);
        g.write32(BCM_GPSET0, 1 << 14);
      }
      board = {
        gpio: g,
        info: {
          model:
            model === 'pi1'
              ? 'Raspberry Pi Model B Rev 2 (simulated)'
              : model === 'pi2'
                ? 'Raspberry Pi 2 Model B Rev 1.1 (simulated)'
                : 'Raspberry Pi 3 Model B Rev 1.2 (simulated)',
          soc,
          chip: 'bcm2835',
          pinCount: 54,
          peripheralBase: base,
          gpioBase: base + 0x200000,
          gpioLength: 0x1000,
          gpiomem: '/dev/gpiomem',
          revision: model === 'pi1' ? 0x000e : model === 'pi2' ? 0xa21041 : 0xa02082,
          compatible:
            model === 'pi1'
              ? ['raspberrypi,model-b', 'brcm,bcm2835']
              : model === 'pi2'
                ? ['raspberrypi,2-model-b', 'brcm,bcm2836']
                : ['raspberrypi,3-model-b', 'brcm,bcm2837'],
          sources,
        },
      };
      break;
    }
    case 'pi4': {
      const g = new SimBcm2711Gpio(writable);
      if (booted) {
        setFsel(g, 2, 4);
        setFsel(g, 3, 4);
        setFsel(g, 14, 4);
        setFsel(g, 15, 4);
        g.write32(BCM_GPSET0, 1 << 14);
      }
      board = {
        gpio: g,
        info: {
          model: 'Raspberry Pi 4 Model B Rev 1.4 (simulated)',
          soc: 'BCM2711',
          chip: 'bcm2711',
          pinCount: 58,
          peripheralBase: 0xfe000000,
          gpioBase: 0xfe200000,
          gpioLength: 0x1000,
          gpiomem: '/dev/gpiomem',
          revision: 0xd03114,
          compatible: ['raspberrypi,4-model-b', 'brcm,bcm2711'],
          sources,
        },
      };
      break;
    }
    case 'pi5': {
      const g = new SimRp1Gpio(writable);
      if (booted) {
        for (const [pin, fsel] of [
          [2, 3],
          [3, 3],
          [14, 4],
          [15, 4],
        ]) {
          const { ctrl } = rp1PinRegisters(pin);
          g.write32(ctrl, ((g.read32(ctrl) & ~RP1_CTRL_FUNCSEL_MASK) | fsel) >>> 0);
        }
      }
      board = {
        gpio: g,
        info: {
          model: 'Raspberry Pi 5 Model B Rev 1.0 (simulated)',
          soc: 'BCM2712',
          chip: 'rp1',
          pinCount: 54,
          peripheralBase: 0x107c000000,
          gpioBase: 0x1f000d0000,
          gpioLength: 0x30000,
          gpiomem: '/dev/gpiomem0',
          revision: 0xd04170,
          compatible: ['raspberrypi,5-model-b', 'brcm,bcm2712'],
          sources,
        },
      };
      break;
    }
    default:
      throw codedError('ERR_INVALID_ARG_VALUE', `unknown simulated board '${String(model)}' (pi1, pi2, pi3, pi4 or pi5)`);
  }
  if (options.writable === false) board.gpio.writable = false;
  board.gpio.reads = 0;
  board.gpio.writes = 0;
  return board;
}
