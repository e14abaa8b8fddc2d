// Drives one Container machine with a SimulatedClock and the in-memory engine.
import { createActor, SimulatedClock } from 'xstate';
import { createContainerMachine } from '../../controllers/container-machine.ts';
import type { DesiredContainer, MachineInput } from '../../controllers/container-types.ts';
import { containerStatus, phaseOf } from '../../controllers/status.ts';
import { ContainerSpec } from '../../specs/schema.ts';
import { FakeEngine, settle } from './fake-engine.ts';

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const IMAGE = { ref: 'registry.test/busybox:latest', digest: `sha256:${'b'.repeat(64)}` };

export function desiredOf(spec: Record<string, unknown> = {}, over: Partial<DesiredContainer> = {}): DesiredContainer {
  return {
    name: 'web',
    uid: 'uid-1',
    generation: 1,
    spec: ContainerSpec.parse({ image: 'registry.test/busybox', ...spec }),
    specHash: 'hash-1',
    ...over,
  };
}

export function harness(
  spec: Record<string, unknown> = {},
  input: Partial<MachineInput> = {},
  before?: (engine: FakeEngine) => void,
) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const engine = new FakeEngine(clock);
  before?.(engine);
  const events: string[] = [];
  let ids = 0;
  const machine = createContainerMachine({
    engine,
    clock,
    newContainerID: () => `c${++ids}`,
    record: (_name, _uid, type, reason, message) => events.push(`${type} ${reason}: ${message}`),
  });
  // Every microstep, so that states passed through within one macrostep (Exited → BackOff) show.
  const phases: string[] = [];
  const actor = createActor(machine, {
    input: { desired: desiredOf(spec), ...input },
    clock,
    inspect: (ev) => {
      // Only the machine's own snapshots (its invoked promise/callback actors have no .machine).
      const machineSnapshot = (ev as { snapshot?: { machine?: unknown } }).snapshot?.machine !== undefined;
      if ((ev.type === '@xstate.microstep' || ev.type === '@xstate.snapshot') && machineSnapshot) {
        const p = phaseOf((ev.snapshot as unknown as { value: unknown }).value);
        if (phases.at(-1) !== p) phases.push(p);
      }
    },
  });
  actor.start();
  const h = {
    clock,
    engine,
    events,
    actor,
    phases,
    phase: () => phaseOf(actor.getSnapshot().value),
    ctx: () => actor.getSnapshot().context,
    status: () => {
      const s = actor.getSnapshot();
      return containerStatus(phaseOf(s.value), s.context, undefined, new Date(clock.now()).toISOString());
    },
    /** Advances simulated time and lets the engine's promises settle. */
    async advance(ms: number) {
      clock.increment(ms);
      await settle();
    },
    /** Pending → Creating → Running with the test image. */
    async run() {
      actor.send({ type: 'IMAGE_READY', image: IMAGE });
      await settle();
    },
    /** Ends the current container's process. */
    async exit(code: number, extra = {}) {
      engine.exit(h.ctx().containerID!, code, extra);
      await settle();
    },
  };
  return h;
}
