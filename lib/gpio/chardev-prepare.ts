/**
 * Request options checked once for both backends: the consumer label, the event buffer size and
 * each requested line's settings (common ones with the line's own over them).
 */
import { codedError } from '../errors';
import { invalidType, toInt, toStr } from '../validate';
import { checkSettings, REQUEST_KEYS, resolveSettings, type GpioLineSettings, type GpioRequestOptions } from './chardev-types';

/** Checks request options and resolves each line's settings. Shared with the simulated chip. */
export function prepareRequest(
  chip: { offsetOf(line: number | string): number },
  offsets: readonly number[],
  options: unknown,
): { consumer: string; eventBufferSize: number; settings: GpioLineSettings[] } {
  const common = checkSettings(options, 'options', REQUEST_KEYS);
  const o = (options ?? {}) as GpioRequestOptions;
  const consumer = o.consumer === undefined ? 'mmapkit' : toStr(o.consumer, 'options.consumer');
  if (Buffer.byteLength(consumer) > 31)
    throw codedError('ERR_OUT_OF_RANGE', `options.consumer is at most 31 bytes; '${consumer}' has ${Buffer.byteLength(consumer)}`);
  const eventBufferSize = o.eventBufferSize === undefined ? 0 : toInt(o.eventBufferSize, 'options.eventBufferSize', 0, 65536);
  const own = new Map<number, GpioLineSettings>();
  if (o.lines !== undefined) {
    if (o.lines === null || typeof o.lines !== 'object') throw invalidType('options.lines', 'of type object', o.lines);
    for (const [k, v] of Object.entries(o.lines)) {
      const off = chip.offsetOf(/^\d+$/.test(k) ? Number(k) : k);
      if (!offsets.includes(off)) throw codedError('ERR_INVALID_ARG_VALUE', `options.lines names line '${k}', which is not requested`);
      own.set(off, checkSettings(v, `options.lines.${k}`));
    }
  }
  const settings = offsets.map((off) => resolveSettings(common, own.get(off), `line ${off}`));
  return { consumer, eventBufferSize, settings };
}
