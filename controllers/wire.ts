// Builds and starts the controllers for the daemon: the Image and Container controllers, fed by the
// store's change feed (level-triggered: a change only enqueues the object's name), and the metrics
// they keep. server/daemon.ts calls this once it has an engine, and serves /metrics itself.
import type { Engine } from '../engine/engine.ts';
import type { StoreFeed } from '../store/feed.ts';
import { realClock, type Clock } from './clock.ts';
import { ContainerController } from './container-controller.ts';
import { ImageController } from './image-controller.ts';
import { BerthMetrics } from './metrics.ts';
import { VolumeController, type VolumeHost } from './volume-controller.ts';
import { PodController, type PodStore } from './pod-controller.ts';
import { POD_LABEL } from '../specs/pod.ts';
import { DEPLOYMENT_LABEL, DeploymentController } from './deployment-controller.ts';
import { ServiceController } from './service-controller.ts';
import { ServiceProxy } from '../engine/service-proxy.ts';
import type { ControllerLog, EventSink, ObjectStore } from './deps.ts';

export interface Controllers {
  containers: ContainerController;
  images: ImageController;
  /** Present when the engine has volumes on the host. */
  volumes?: VolumeController;
  pods: PodController;
  deployments: DeploymentController;
  services: ServiceController;
  metrics: BerthMetrics;
  /** Stops the loops; containers keep running under their monitors (re-adopted next start). */
  stop(): Promise<void>;
}

export async function startControllers(o: {
  store: PodStore & { feed: StoreFeed };
  events: EventSink;
  engine: Engine;
  log: ControllerLog;
  clock?: Clock;
  /** Where Services' node ports are held (default: a proxy of this process's own). */
  proxy?: ServiceProxy;
  /** The volumes on the host (engine/volumes), for the Volume controller. */
  volumes?: VolumeHost;
}): Promise<Controllers> {
  const clock = o.clock ?? realClock;
  const metrics = new BerthMetrics();
  const containers = new ContainerController({ store: o.store, events: o.events, engine: o.engine, clock, metrics, log: o.log });
  const images = new ImageController({
    store: o.store,
    events: o.events,
    engine: o.engine,
    clock,
    metrics,
    log: o.log,
    onChange: (name) => {
      containers.enqueueUsingImage(name);
      // An image that became ready may be the base another Image's build was waiting for.
      for (const r of o.store.list('Image')) {
        const phase = (r.status as { phase?: string } | undefined)?.phase;
        if (r.metadata.name !== name && (phase === 'Failed' || phase === 'Pending')) images.enqueue(r.metadata.name);
      }
    },
  });
  const volumes = o.volumes && new VolumeController({ store: o.store, events: o.events, volumes: o.volumes, clock, metrics, log: o.log });
  const pods = new PodController({ store: o.store, events: o.events, engine: o.engine, clock, metrics, log: o.log });
  const deployments = new DeploymentController({ store: o.store, events: o.events, clock, metrics, log: o.log });
  // The node ports of Services: held by the daemon, closed when the controllers stop.
  const proxy = o.proxy ?? new ServiceProxy();
  const services = new ServiceController({ store: o.store, events: o.events, proxy, clock, metrics, log: o.log });
  const unsubscribe = o.store.feed.onObject((ch) => {
    if (ch.kind === 'Pod') services.enqueueAll();
    if (ch.kind === 'Service') {
      services.enqueue(ch.name);
      if (ch.type !== 'status') pods.enqueueAll();
    }
    // A member's every change (its status too) is news for its Pod; a Pod's, for its Deployment.
    const pod = ch.kind === 'Container' ? ch.resource.metadata.labels?.[POD_LABEL] : undefined;
    if (pod) pods.enqueue(pod);
    const deployment = ch.kind === 'Pod' ? ch.resource.metadata.labels?.[DEPLOYMENT_LABEL] : undefined;
    if (deployment) deployments.enqueue(deployment);
    if (ch.kind === 'Deployment' && ch.type !== 'status') deployments.enqueue(ch.name);
    if (ch.type === 'status') return; // our own writes
    if (ch.kind === 'Pod') pods.enqueue(ch.name);
    else if (ch.kind === 'ConfigMap' || ch.kind === 'Secret') pods.enqueueAll();
    else if (ch.kind === 'Container') containers.enqueue(ch.name);
    else if (ch.kind === 'Image') images.enqueue(ch.name);
    else if (ch.kind === 'Volume') volumes?.enqueue(ch.name);
  });
  images.start();
  await volumes?.start();
  await containers.start();
  await pods.start();
  deployments.start();
  services.enqueueAll();
  return {
    containers,
    images,
    ...(volumes ? { volumes } : {}),
    pods,
    deployments,
    services,
    metrics,
    async stop() {
      unsubscribe();
      await images.stop();
      await deployments.stop();
      await services.stop();
      if (!o.proxy) proxy.close();
      await pods.stop();
      await volumes?.stop();
      await containers.stop();
    },
  };
}
