// Small value types shared by every layer: where a problem is in a file, and a published port.

/** A place in a file the user wrote (a manifest, a Dockerfile), 1-based, as editors count. */
export interface Location {
  /** The file as the user named it (e.g. "manifests/web.yaml", "Dockerfile"). */
  file: string;
  line: number;
  col: number;
}

/** A container port, published on the host when hostPort is set (Kubernetes' ContainerPort fields). */
export interface PortMapping {
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  protocol: 'TCP' | 'UDP';
}
