/** Shared-memory IPC: robust mutex, semaphore, event, condition and message channels. */
export { Channel, type ChannelOptions } from './channel';
export { createChannel, openChannel, type CreateChannelOptions, type OpenChannelOptions, type OwnedChannel } from './open';
export type { ChannelMode, Peer, Role, WhenFull } from './layout';
export type { SharedRegion, WaitOptions } from './memory';
export { Mutex } from './mutex';
export { Condition, Event, Semaphore } from './signals';
