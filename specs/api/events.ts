// Events as Kubernetes records them: what happened to which object, folded when repeated.

export type EventType = 'Normal' | 'Warning';

/** What a part of berth reports. */
export interface EventInput {
  type: EventType;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string; uid?: string };
  /** The part of berth that reported it: "apply", "watch", "controller", ... */
  component: string;
}

/** An event as stored and listed. */
export interface BerthEvent extends EventInput {
  id: number;
  /** Identical events (same object, type, reason, message) are folded into one, as Kubernetes does. */
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}
