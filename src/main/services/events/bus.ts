/** In-process typed event bus; transports (IPC, SSE) subscribe to forward events. */
import { EventEmitter } from 'node:events';
import { events, type EventName, type EventPayload } from '../../../shared/contract';

export interface EventBus {
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void;
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): () => void;
  onAny(listener: (name: EventName, payload: unknown) => void): () => void;
  close(): void;
}

export function createEventBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(100);
  return {
    emit(name, payload) {
      // Validate here so a bad payload is caught where it is produced, not in a renderer.
      const parsed = events[name].parse(payload);
      emitter.emit(name, parsed);
      emitter.emit('*', name, parsed);
    },
    on(name, listener) {
      emitter.on(name, listener as (p: unknown) => void);
      return () => emitter.off(name, listener as (p: unknown) => void);
    },
    onAny(listener) {
      emitter.on('*', listener);
      return () => emitter.off('*', listener);
    },
    close() {
      emitter.removeAllListeners();
    },
  };
}
