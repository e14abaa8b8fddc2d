// `network connect` and `network disconnect`, for both APIs (berth's /v1/networks/:name/connect and
// Docker's /networks/{id}/connect): Docker's rules and words, decided on the Container object, then
// the object's new list of networks handed to its controller, which changes the container's
// interfaces in place (live when it runs) and keeps the list in the store, so that neither the
// reconcile loop nor a restart undoes it, and the container is not recreated.
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError } from '../../specs/errdefs.ts';
import { canonicalNetwork, containerNetworks, withNetworks, type NetworkAttachmentSpec } from '../../specs/networks.ts';
import { API_VERSION, ContainerObject } from '../../specs/schema.ts';
import type { ContainerResource } from '../../specs/api/containers.ts';
import type { NetworkInfo } from '../../specs/api/networks.ts';
import type { Store } from '../../store/store.ts';
import type { ContainerLifecycles } from './deps.ts';

export interface NetworkServiceDeps {
  store: Store;
  /** The networks there are (NetworkManager.list). */
  networks: { list(): Promise<NetworkInfo[]> };
  lifecycles: Pick<ContainerLifecycles, 'view' | 'connectNetwork' | 'disconnectNetwork'>;
  /** A container's name from its name or (a prefix of) its id (ContainerService.resolve). */
  resolve(ref: string): string;
}

export class NetworkService {
  readonly #o: NetworkServiceDeps;

  constructor(o: NetworkServiceDeps) {
    this.#o = o;
  }

  /** `network connect [--alias A] NETWORK CONTAINER`. */
  async connect(network: string, container: string, o: { aliases?: string[] } = {}): Promise<void> {
    const r = this.#container(container);
    const net = await this.#network(network);
    const nets = containerNetworks(r.spec);
    if (r.spec.pod) throw new InvalidArgumentError(`container ${r.metadata.name} is a member of Pod ${r.spec.pod.name} and shares its network; it cannot be connected to another one`);
    if (nets[0]!.name === 'host') throw new InvalidArgumentError('container sharing network namespace with another container or host cannot be connected to any other network');
    // A container left with no network (each one disconnected) can be connected again; one made with none cannot.
    const emptied = r.spec.networks?.length === 0;
    if (nets[0]!.name === 'none' && !emptied) throw new InvalidArgumentError('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    if (!emptied && nets.some((n) => canonicalNetwork(n.name) === net)) throw new PermissionDeniedError(`endpoint with name ${r.metadata.name} already exists in network ${network}`);
    const aliases = [...new Set(o.aliases ?? [])];
    const added: NetworkAttachmentSpec = { name: network, ...(aliases.length ? { aliases } : {}) };
    const spec = this.#validSpec(r, withNetworks(r.spec, [...(emptied ? [] : nets), added]));
    await this.#o.lifecycles.connectNetwork(r.metadata.name, spec, { network: net, ...(aliases.length ? { aliases } : {}) });
  }

  /** `network disconnect [-f] NETWORK CONTAINER`. */
  async disconnect(network: string, container: string, o: { force?: boolean } = {}): Promise<void> {
    const r = this.#container(container);
    const nets = containerNetworks(r.spec);
    if (nets[0]!.name === 'host') throw new InvalidArgumentError('container cannot be disconnected from host network or connected to host network');
    const net = await this.#network(network).catch((err: unknown) => {
      // --force: the container comes off a network that is gone (Docker's reason for it).
      if (o.force && err instanceof NotFoundError) return canonicalNetwork(network);
      throw err;
    });
    const i = r.spec.networks?.length === 0 ? -1 : nets.findIndex((n) => canonicalNetwork(n.name) === net);
    if (i < 0) {
      const id = this.#o.lifecycles.view(r.metadata.name)?.containerID ?? r.metadata.name;
      throw new FailedPreconditionError(`container ${id} is not connected to network ${network}`);
    }
    const spec = this.#validSpec(r, withNetworks(r.spec, nets.filter((_, k) => k !== i)));
    await this.#o.lifecycles.disconnectNetwork(r.metadata.name, spec, { network: nets[i]!.name, ...(o.force ? { force: true } : {}) });
  }

  /** Docker's "No such container" for a reference that names none. */
  #container(ref: string): ContainerResource {
    let name: string;
    try {
      name = this.#o.resolve(ref);
    } catch (err) {
      throw err instanceof NotFoundError ? new NotFoundError(`No such container: ${ref}`) : err;
    }
    return this.#o.store.get('Container', name) as ContainerResource;
  }

  /** The network's canonical name; Docker's "network X not found" when there is none. */
  async #network(ref: string): Promise<string> {
    const name = canonicalNetwork(ref);
    if (!(await this.#o.networks.list()).some((n) => n.name === name)) throw new NotFoundError(`network ${ref} not found`);
    return name;
  }

  #validSpec(r: ContainerResource, spec: ContainerResource['spec']): ContainerResource['spec'] {
    const parsed = ContainerObject.safeParse({ apiVersion: API_VERSION, kind: 'Container', metadata: { name: r.metadata.name }, spec });
    if (!parsed.success) throw new InvalidArgumentError(`container ${r.metadata.name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ')}`);
    return parsed.data.spec;
  }
}
