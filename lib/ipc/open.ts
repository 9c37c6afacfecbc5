/**
 * Channels by name or file descriptor: createChannel() makes the shared memory (a POSIX shm name,
 * or a memfd to hand to a child through its stdio), openChannel() maps it from another process.
 * The mapping lives as long as the channel: close() unmaps it.
 */
import { codedError } from '../errors';
import { mapFile, type Mapping } from '../mapping';
import { Memfd, SharedMemory } from '../shm';
import { toBool, toIndex, toInt, toOptions } from '../validate';
import { Channel, type ChannelOptions } from './channel';
import { HEADER } from './layout';

export interface CreateChannelOptions extends Omit<ChannelOptions, 'offset'> {
  /** A POSIX shared-memory name ('/name'); omitted: an unnamed memfd (its fd is channel.fd). */
  name?: string;
  /** Ring bytes (default 1 MiB). */
  capacity?: number;
  /** With name: fail if the name exists (default true). */
  exclusive?: boolean;
}

/** A channel with the memory it owns. */
export interface OwnedChannel extends Channel {
  /** The memfd's descriptor (memfd channels), to pass to a child process; -1 for named ones. */
  readonly fd: number;
  /** The mapping the channel lives in. */
  readonly mapping: Mapping;
}

/** Creates shared memory for a channel and the channel in it. */
export function createChannel(options: CreateChannelOptions): OwnedChannel {
  const o = toOptions<CreateChannelOptions>(options, 'options', ['role', 'capacity', 'mode', 'whenFull', 'slotSize', 'spin', 'name', 'exclusive']);
  const capacity = o.capacity === undefined ? 1 << 20 : toIndex(o.capacity, 'options.capacity');
  const size = HEADER + capacity;
  const exclusive = o.exclusive === undefined ? true : toBool(o.exclusive, 'options.exclusive');
  const holder = o.name === undefined ? Memfd.create('mmapkit-channel', { size }) : SharedMemory.open(o.name, { create: true, exclusive, size });
  let mapping: Mapping | undefined;
  try {
    mapping = holder.map();
    const { name: _n, exclusive: _e, ...rest } = o;
    const ch = Channel.create(mapping, { ...rest, role: rest.role!, capacity }) as OwnedChannel;
    const m = mapping;
    const fd = holder instanceof Memfd ? holder.fd : -1;
    if (!(holder instanceof Memfd)) holder.close();
    Object.defineProperties(ch, { fd: { value: fd, enumerable: true }, mapping: { value: m, enumerable: true } });
    ch.onClose = () => {
      m.unmap();
      if (holder instanceof Memfd) holder.close();
    };
    return ch;
  } catch (err) {
    mapping?.unmap();
    holder.close();
    throw err;
  }
}

export interface OpenChannelOptions {
  role: ChannelOptions['role'];
  /** This end's spin budget in microseconds (see ChannelOptions.spin). */
  spin?: number;
}

/** Opens a channel another process created: by shm name ('/name') or by an inherited file descriptor. */
export function openChannel(source: string | number, options: OpenChannelOptions): OwnedChannel {
  const o = toOptions<OpenChannelOptions>(options, 'options', ['role', 'spin']);
  let mapping: Mapping;
  if (typeof source === 'string') {
    const shm = SharedMemory.open(source);
    try {
      if (shm.size < HEADER) throw codedError('ERR_MMAPKIT_BAD_HEADER', `Not a usable mmapkit channel: ${source} holds ${shm.size} bytes, less than a header`);
      mapping = shm.map();
    } finally {
      shm.close();
    }
  } else {
    const fd = toInt(source, 'source', 0, 0x7fffffff);
    mapping = mapFile(fd, { mode: 'readwrite' });
  }
  try {
    const ch = Channel.open(mapping, o.spin === undefined ? { role: o.role! } : { role: o.role!, spin: o.spin }) as OwnedChannel;
    Object.defineProperties(ch, { fd: { value: -1, enumerable: true }, mapping: { value: mapping, enumerable: true } });
    ch.onClose = () => mapping.unmap();
    return ch;
  } catch (err) {
    mapping.unmap();
    throw err;
  }
}
