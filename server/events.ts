// Records Kubernetes-style events about objects (type, reason, message), through the store, where
// identical ones are aggregated. Each part gets a recorder named after itself (component).
import type { Store } from '../store/store.ts';
import type { BerthEvent } from '../specs/api/events.ts';

export interface EventTarget {
  kind: string;
  name: string;
  uid?: string;
}

export class EventRecorder {
  readonly #store: Store;
  readonly component: string;

  constructor(store: Store, component = 'berth') {
    this.#store = store;
    this.component = component;
  }

  /** The same store, reported under another component name (e.g. "watch", "controller"). */
  for(component: string): EventRecorder {
    return new EventRecorder(this.#store, component);
  }

  normal(target: EventTarget, reason: string, message: string): BerthEvent {
    return this.#store.recordEvent({ type: 'Normal', reason, message, involvedObject: target, component: this.component });
  }

  warning(target: EventTarget, reason: string, message: string): BerthEvent {
    return this.#store.recordEvent({ type: 'Warning', reason, message, involvedObject: target, component: this.component });
  }
}
